#!/usr/bin/env bash
# Every test: installs what is missing, checks formatting, builds with gcc
# (plain and with ASan+UBSan) and clang, and runs the unit and integration tests; fuzzes
# every libFuzzer target for a bounded time; the arm64 cross build with its unit tests
# under qemu-user; and the armhf package with smoke runs under qemu-user (its unit tests:
# scripts/cross.sh armhf by hand).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
"$top/scripts/setup.sh" --test

echo "=== format"
bad=$(git ls-files '*.c' '*.h' | while read -r f; do
  clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || echo "$f"; done)
if [ -n "$bad" ]; then
  echo "not clang-format clean:" $bad >&2
  exit 1
fi

echo "=== layout (includes point down, one owner per third-party header)"
scripts/check-layout.sh

echo "=== gcc build + all tests"
scripts/build.sh build
(cd build && ctest --output-on-failure -j 2 --timeout 600)

echo "=== clang build + unit tests"
CC=clang scripts/build.sh build-clang
(cd build-clang && ctest --output-on-failure -L unit -j 2)

echo "=== bounded fuzzing: every target ${FUZZ_SECONDS:-30} s under ASan+UBSan"
scripts/fuzz.sh build-fuzz

echo "=== arm64 cross build + unit tests under qemu-user (the Raspberry Pi)"
scripts/cross.sh arm64 build-arm64

echo "=== armhf package, 64-bit time_t check and smoke runs under qemu-user (the older Pis)"
CROSS_TESTS=smoke scripts/cross.sh armhf build-armhf

echo "=== ASan+UBSan build + all tests (but the packaging ones)"
scripts/build.sh build-asan -DGW_SANITIZE="address;undefined" -DCMAKE_BUILD_TYPE=Debug
# The packaging tests build and install their own package (not this build's binary) and the
# man pages are text: they ran above; under ASan they would only cost CI minutes.
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j 2 --timeout 900 \
  -E '^(test_deb|test_install|test_man_pages)$')
