#!/usr/bin/env bash
# The test suite under sanitizers (docs/testing.md), run by CI beside the normal suite.
#   scripts/sanitize.sh [FILTER]                  AddressSanitizer + UndefinedBehaviorSanitizer (LeakSanitizer
#                                                 included), every test, in build-asan/
#   scripts/sanitize.sh --thread [FILTER]         ThreadSanitizer, the concurrent tests (workers, pool,
#                                                 batcher, manager, generation through workers and under
#                                                 a budget, the server), in build-tsan/
# FILTER is a GoogleTest filter ('Jinja.*:Bpe.*'). Each test binary is one ctest test here, its cases run in
# one process (TRANSFORMERS_TESTS_PER_BINARY, tests/CMakeLists.txt): a sanitized process' start-up is what
# made the per-case suite slow.
#   scripts/sanitize.sh --configure               only configures build-asan/ (scripts/fuzz.sh builds its
#                                                 targets there)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --fuzz-tools >/dev/null   # clang
source scripts/cmake_env.sh
# clang at -O0 with asserts on, core's JSON parser and the tokenizers at -O1 and linked first
# (cmake/SanitizerOptimizedLayers.cmake). Compile time is most of CI's time and the optimizer doubles it under
# ASan + UBSan (clang 14: the server's unity file 160 s at -O1, 68 s at -O0); the suite at -O0 runs longer
# only where it interprets text (docs/testing.md). lld: the sanitized binaries are tens of MB, and GNU ld
# spent 122 s linking them. A folder configured with another compiler is started afresh.
configure() {
  local dir=$1; shift
  grep -qs 'CMAKE_CXX_COMPILER:[A-Z]*=.*clang++' "$dir/CMakeCache.txt" || rm -rf "$dir"
  cmake -S . -B "$dir" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O0" \
        -DCMAKE_EXE_LINKER_FLAGS=-fuse-ld=lld -DTRANSFORMERS_BUILD_BENCH=OFF -DTRANSFORMERS_TESTS_PER_BINARY=ON "$@" >/dev/null
}
if [ "${1:-}" = "--thread" ]; then
  shift
  # What runs threads of ours: the worker, pool and batcher tests, the manager's and the server's; process workers need the
  # CLI (their child) built the same way.
  configure build-tsan -DTRANSFORMERS_SANITIZE=thread
  binaries=(workers_thread_worker_test workers_worker_pool_test workers_dynamic_batcher_test workers_every_task_test
            runtime_tests workers_generation_worker_test generation_tests server_test)
  cmake --build build-tsan -j"$(nproc)" --target transformers-cpp "${binaries[@]}"
  export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$PWD/tools/sanitizers/tsan.supp"
  suites=(ThreadWorker WorkerPool DynamicBatcher EveryTask PipelineManager GenerationWorker GenerationBudget ServerRoutes
          ServerControl)
  filter=""; for s in "${suites[@]}"; do filter+="$s.*:Kinds/$s.*:"; done
  GTEST_FILTER=${1:-${filter%:}} ctest --test-dir build-tsan --output-on-failure -j"$(nproc)" \
    -R "^($(IFS='|'; echo "${binaries[*]}"))\$"
  exit 0
fi
# One clang folder for the ASan suite and the fuzz targets: coverage instrumentation costs the tests little
# (+11% compile time) and saves CI a whole third build of the libraries.
configure build-asan -DTRANSFORMERS_SANITIZE=fuzzer-no-link,address,undefined -DTRANSFORMERS_FUZZ=ON
[ "${1:-}" = "--configure" ] && exit 0
cmake --build build-asan -j"$(nproc)"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:detect_odr_violation=0
export LSAN_OPTIONS=suppressions=$PWD/tools/sanitizers/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# SamplingDistribution's 3,000 seeded pipeline calls are a statistics check (150 s under ASan, 28 s in the
# Release suite); the same calls, once each, run in the rest of the generation tests.
GTEST_FILTER=${1:--SamplingDistribution.*} ctest --test-dir build-asan --output-on-failure -j"$(nproc)"
