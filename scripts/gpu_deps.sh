#!/usr/bin/env bash
# Gathers the Debian packages that seek's GPU build needs and a bare GPU machine lacks into
# .gpu-deps/ (git-ignored; it travels with the working tree), for scripts/gpu_check.sh.
# Run it on the development machine (Debian, with apt and network access); no root needed.
#
# Trick: nothing is installed. `apt-get download` fetches the .debs and `dpkg -x` unpacks
# them into .gpu-deps/usr/..., a prefix that CMAKE_PREFIX_PATH finds (the packages' CMake
# configs locate themselves relative to their own file; the .pc files name /usr and are
# read with PKG_CONFIG_SYSROOT_DIR=.gpu-deps). Docs, man pages, static libraries that have
# a shared twin and sources are dropped. OpenBLAS's runtime (36 MB, every CPU kernel in
# one .so) is kept xz-compressed under .gpu-deps/xz/; gpu_check.sh unpacks it into its
# build folder and points CMake at it (OpenBLASConfig.cmake it writes there).
#
#   scripts/gpu_deps.sh [--force]     re-gathers even when .gpu-deps/MANIFEST is current
# Prints what it fetched and the folder's size; fails if the folder would exceed 40 MiB.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEST=${SEEK_GPU_DEPS:-$ROOT/.gpu-deps}
LIMIT_MIB=40
ARCH=x86_64-linux-gnu

# What the nvcc build of libseek, test_cuda, test_backend and the benchmarks links or
# includes (Boost.Context is the simulator's, pybind11 the Python module's: neither is
# built there). Runtime libraries are named with their dev packages.
PKGS=(
  libeigen3-dev                                 # Eigen (headers, CMake config)
  libspdlog-dev libspdlog1.10 libfmt-dev libfmt9  # spdlog (compiled) and its fmt
  libopenblas-pthread-dev libopenblas0-pthread  # OpenBLAS (CPU GEMM), pthread flavour
  libgfortran5 libquadmath0                     # what libopenblas.so.0 needs at run time
  libstb-dev libstb0                            # stb_image (seek::data), found by pkg-config
  zlib1g-dev zlib1g                             # zlib headers and the library they link
  libgtest-dev                                  # GoogleTest (static libraries, CMake config)
  libbenchmark-dev libbenchmark1debian          # Google Benchmark (SEEK_BENCHMARKS=ON needs it)
  pkgconf-bin libpkgconf3                       # pkg-config itself, for stb
  libutf8proc-dev libutf8proc2                  # utf8proc (Unicode tables of seek::text)
)

if [ "${1:-}" != "--force" ] && [ -f "$DEST/MANIFEST" ]; then
  # Current when it lists exactly the packages above at the versions apt would fetch now.
  want=$(apt-cache policy "${PKGS[@]}" 2>/dev/null | awk '/^[^ ]/ {p=$1; sub(":$","",p)} /Candidate:/ {print p, $2}' | sort)
  have=$(awk '!/^#/ {print $1, $2}' "$DEST/MANIFEST" | sort)
  if [ -n "$want" ] && [ "$want" = "$have" ]; then
    echo "gpu_deps: $DEST is current ($(du -sm "$DEST" | cut -f1) MiB); --force gathers again"
    awk '!/^#/ {printf "  %-26s %s\n", $1, $2}' "$DEST/MANIFEST"
    exit 0
  fi
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/debs" "$work/root"
echo "gpu_deps: downloading ${#PKGS[@]} packages"
(cd "$work/debs" && apt-get download -q "${PKGS[@]}" 2>&1 | grep -v "unsandboxed" | sed 's/^/  /') || true
for p in "${PKGS[@]}"; do
  compgen -G "$work/debs/${p}_*.deb" >/dev/null || {
    echo "gpu_deps: could not download $p (apt-get update? another Debian release?)" >&2
    exit 1
  }
done

{
  echo "# package version deb-bytes (unpacked by scripts/gpu_deps.sh on $(date -u +%F))"
  for deb in "$work"/debs/*.deb; do
    dpkg-deb -x "$deb" "$work/root"
    echo "$(dpkg-deb -f "$deb" Package) $(dpkg-deb -f "$deb" Version) $(stat -c %s "$deb")"
  done
} >"$work/MANIFEST"

r=$work/root
# Drop what no build reads.
rm -rf "$r/usr/share/doc" "$r/usr/share/man" "$r/usr/share/lintian" "$r/usr/share/bug" "$r/usr/src" \
  "$r/usr/share/pkgconfig/eigen3.pc" "$r/usr/lib/$ARCH/libz.a" "$r/usr/bin/bomtool"
ob=$r/usr/lib/$ARCH/openblas-pthread
# OpenBLAS: keep the headers and the runtime (compressed); its static library, its
# LAPACK/BLAS alternatives and its .pc/CMake files (absolute paths) are replaced by the
# OpenBLASConfig.cmake that gpu_check.sh writes next to the unpacked library.
mkdir -p "$r/xz"
so=$(readlink "$ob/libopenblas.so.0")
xz -T0 -6 -c "$ob/$so" >"$r/xz/libopenblas.so.0.xz"
rm -rf "$ob"
mv "$r/usr/include/$ARCH/openblas-pthread" "$r/usr/include/openblas"
rmdir "$r/usr/include/$ARCH" 2>/dev/null || true
# Absolute links (zlib1g-dev's libz.so -> /lib/...) must point into the folder, wherever it lies.
find "$r" -type l -lname '/*' | while read -r link; do
  ln -sfn "$(realpath -m --relative-to="$(dirname "$link")" "$r$(readlink "$link")")" "$link"
done
# Static libraries with a shared twin, and dangling links (targets in dropped folders).
for a in "$r"/usr/lib/$ARCH/*.a; do
  [ -e "${a%.a}.so" ] && rm -f "$a"
done
find "$r" -xtype l -delete
find "$r" -type d -empty -delete
mv "$work/MANIFEST" "$r/MANIFEST"

size_kib=$(du -sk "$r" | cut -f1)
if [ "$size_kib" -gt $((LIMIT_MIB * 1024)) ]; then
  echo "gpu_deps: the folder would be $((size_kib / 1024)) MiB, over the ${LIMIT_MIB} MiB limit" >&2
  du -sk "$r"/usr/* "$r"/usr/lib/$ARCH/* "$r"/xz 2>/dev/null | sort -n | tail -8 >&2
  exit 1
fi
rm -rf "$DEST"
mv "$r" "$DEST"
echo "gpu_deps: fetched into $DEST:"
awk '!/^#/ {printf "  %-26s %-28s %6.0f KiB .deb\n", $1, $2, $3 / 1024}' "$DEST/MANIFEST"
echo "gpu_deps: $(find "$DEST" -type f | wc -l) files, $(du -sh "$DEST" | cut -f1) in all; largest parts:"
du -sk "$DEST"/usr/include/* "$DEST"/usr/lib/$ARCH "$DEST"/xz | sort -rn | head -4 |
  awk '{printf "  %-40s %5.1f MiB\n", substr($2, length(dest) + 2), $1 / 1024}' dest="$DEST"
