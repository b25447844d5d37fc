#!/usr/bin/env bash
# Builds with AddressSanitizer + UndefinedBehaviorSanitizer (LeakSanitizer included) into build-asan/
# and runs the tests. Not part of CI's pass/fail path (it takes several minutes on 2 cores).
#   scripts/sanitize.sh [ctest -R regex]     default: every test
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTRANSFORMERS_SANITIZE=address,undefined \
      -DTRANSFORMERS_BUILD_BENCH=OFF >/dev/null
cmake --build build-asan -j"$(nproc)"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:detect_odr_violation=0
export LSAN_OPTIONS=suppressions=$PWD/tools/sanitizers/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --test-dir build-asan --output-on-failure -j"$(nproc)" ${1:+-R "$1"}
