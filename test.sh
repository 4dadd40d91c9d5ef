#!/usr/bin/env bash
# Builds everything and runs every test (unit + integration). Usage:
#   ./test.sh               RelWithDebInfo build in build/, all tests
#   ./test.sh --sanitize    Debug build with ASan+UBSan in build-asan/, all tests
#   extra arguments after -- go to ctest (e.g. ./test.sh -- -R fs_)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
./setup.sh
# The project virtualenv first: python3 is then the one with moto, torch and the reference packages.
export PATH="$PWD/.venv/bin:$PATH"

build=build
cmake_args=(-G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo)
if [ "${1:-}" = "--sanitize" ]; then
  build="build-asan"
  cmake_args=(-G Ninja -DCMAKE_BUILD_TYPE=Debug -DSKYTRAIN_SANITIZE=ON)
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  shift
fi
[ "${1:-}" = "--" ] && shift

cmake -S . -B "$build" "${cmake_args[@]}" >/dev/null
cmake --build "$build" -j"$(nproc)"
ctest --test-dir "$build" --output-on-failure -j2 "$@"
