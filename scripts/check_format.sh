#!/usr/bin/env bash
# Fails on any line of C++/CUDA source that .clang-format would change, listing the files.
# Usage: scripts/check_format.sh [--fix]     (--fix rewrites the files in place)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null || { echo "check_format: clang-format not found (apt-get install clang-format)" >&2; exit 2; }
mapfile -d '' files < <(find src include kernels tests python/src -type f \
  \( -name '*.cpp' -o -name '*.h' -o -name '*.cu' -o -name '*.cuh' \) -print0 | sort -z)
if [ "${1:-}" = "--fix" ]; then
  clang-format -i "${files[@]}"
  exit 0
fi
bad=$(clang-format --dry-run "${files[@]}" 2>&1 | grep -oE '^[^:]+:[0-9]+:[0-9]+: (warning|error)' | cut -d: -f1 | sort -u || true)
if [ -n "$bad" ]; then
  echo "check_format: these files are not formatted as .clang-format says (fix: scripts/check_format.sh --fix):" >&2
  echo "$bad" | sed 's/^/  /' >&2
  exit 1
fi
echo "check_format: ${#files[@]} files formatted"
