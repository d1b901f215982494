#!/usr/bin/env bash
# Install test: `cmake --install` a finished seek build into a fresh prefix,
# then configure, build and run tests/install/consumer against that prefix
# with find_package(seek CONFIG REQUIRED), as a user project would.
#
#   run_install_test.sh <seek build dir> [work dir] [cmake] [C++ compiler] [CXX flags] [linker flags]
#
# The flags are those seek was built with (a sanitizer build passes -fsanitize=...: the
# consumer must link the same runtime, first, or ASan stops with "ASan runtime does not come
# first in initial library list").
#
# The work dir (default: <build dir>/install_test) is wiped first; it gets
# prefix/ and consumer-build/. Exit status: 0 when the consumer passes.
set -u

build_dir=${1:?usage: run_install_test.sh <seek build dir> [work dir] [cmake] [C++ compiler]}
work_dir=${2:-$build_dir/install_test}
cmake_bin=${3:-cmake}
cxx=${4:-}
cxx_flags=${5:-}
ld_flags=${6:-}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
prefix=$work_dir/prefix
consumer_build=$work_dir/consumer-build

fail() {
  echo "install test FAILED: $*" >&2
  exit 1
}

[ -f "$build_dir/CMakeCache.txt" ] || fail "'$build_dir' is not a configured CMake build dir (no CMakeCache.txt)"
rm -rf "$work_dir" && mkdir -p "$work_dir" || fail "cannot create work dir '$work_dir'"

echo "== cmake --install $build_dir --prefix $prefix"
"$cmake_bin" --install "$build_dir" --prefix "$prefix" >"$work_dir/install.log" 2>&1 ||
  { cat "$work_dir/install.log" >&2; fail "cmake --install failed (is the build finished? run ninja first)"; }
config=$(find "$prefix" -name seekConfig.cmake -print -quit)
[ -n "$config" ] || fail "no seekConfig.cmake under $prefix"
echo "   $(grep -c -E '^-- (Installing|Up-to-date)' "$work_dir/install.log") files installed; package config: ${config#"$prefix"/}"

echo "== configure consumer against $prefix"
args=(-S "$here/consumer" -B "$consumer_build" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release)
[ -n "$cxx" ] && args+=(-DCMAKE_CXX_COMPILER="$cxx")
[ -n "$cxx_flags" ] && args+=(-DCMAKE_CXX_FLAGS="$cxx_flags")
[ -n "$ld_flags" ] && args+=(-DCMAKE_EXE_LINKER_FLAGS="$ld_flags")
"$cmake_bin" "${args[@]}" >"$work_dir/configure.log" 2>&1 ||
  { cat "$work_dir/configure.log" >&2; fail "configuring the consumer (find_package(seek CONFIG REQUIRED)) failed"; }
grep "seek_consumer: found" "$work_dir/configure.log"

echo "== build consumer"
"$cmake_bin" --build "$consumer_build" >"$work_dir/build.log" 2>&1 ||
  { cat "$work_dir/build.log" >&2; fail "building the consumer against the installed seek failed"; }

echo "== run consumer"
exe=$consumer_build/seek_consumer
[ -x "$exe" ] || fail "consumer executable '$exe' was not built"
"$exe" || fail "the consumer exited with status $? (see the FAIL lines above)"
echo "install test passed"
