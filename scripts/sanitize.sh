#!/usr/bin/env bash
# The test suite under sanitizers (docs/testing.md), run by CI beside the normal suite.
#   scripts/sanitize.sh [ctest -R regex]          AddressSanitizer + UndefinedBehaviorSanitizer (LeakSanitizer
#                                                 included), every test, in build-asan/
#   scripts/sanitize.sh --thread [ctest -R regex] ThreadSanitizer, the concurrent tests (workers, pool,
#                                                 batcher, manager, generation through workers and under
#                                                 a budget), in build-tsan/
#   scripts/sanitize.sh --configure               only configures build-asan/ (scripts/fuzz.sh builds its
#                                                 targets there)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --fuzz-tools >/dev/null   # clang
# clang at -O1, asserts on; the test code at -O0 (tests/CMakeLists.txt): under ASan + UBSan the optimizer
# doubles compile time (clang 14: http_server.cpp 81 s at -O1, 36 s at -O0), but the library at -O0 made the
# suite run far longer, so only the tests' own files drop to -O0 (docs/testing.md). A folder configured
# with another compiler is started afresh.
configure() {
  local dir=$1; shift
  grep -qs 'CMAKE_CXX_COMPILER:[A-Z]*=.*clang++' "$dir/CMakeCache.txt" || rm -rf "$dir"
  cmake -S . -B "$dir" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1" \
        -DTRANSFORMERS_BUILD_BENCH=OFF "$@" >/dev/null
}
if [ "${1:-}" = "--thread" ]; then
  shift
  # What runs threads of ours: the worker, pool and batcher tests, the manager's and the server's; process workers need the
  # CLI (their child) built the same way.
  configure build-tsan -DTRANSFORMERS_SANITIZE=thread
  cmake --build build-tsan -j"$(nproc)" --target transformers-cpp workers_thread_worker_test workers_worker_pool_test \
        workers_dynamic_batcher_test workers_every_task_test runtime_tests workers_generation_worker_test generation_tests server_test
  export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$PWD/tools/sanitizers/tsan.supp"
  ctest --test-dir build-tsan --output-on-failure -j"$(nproc)" \
        -R "${1:-^(Kinds/)?(ThreadWorker|WorkerPool|DynamicBatcher|EveryTask|PipelineManager|GenerationWorker|GenerationBudget|ServerRoutes|ServerControl)\.}"
  exit 0
fi
# One clang folder for the ASan suite and the fuzz targets: coverage instrumentation costs the tests little
# (+11% compile time) and saves CI a whole third build of the libraries; -O1 is also what OSS-Fuzz builds
# its ASan fuzzers at.
configure build-asan -DTRANSFORMERS_SANITIZE=fuzzer-no-link,address,undefined -DTRANSFORMERS_FUZZ=ON
[ "${1:-}" = "--configure" ] && exit 0
cmake --build build-asan -j"$(nproc)"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:detect_odr_violation=0
export LSAN_OPTIONS=suppressions=$PWD/tools/sanitizers/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# SamplingDistribution's 3,000 seeded pipeline calls are a statistics check (150 s under ASan, 28 s in the
# Release suite); the same calls, once each, run in the rest of the generation tests.
if [ -n "${1:-}" ]; then select=(-R "$1"); else select=(-E '^SamplingDistribution\.'); fi
ctest --test-dir build-asan --output-on-failure -j"$(nproc)" "${select[@]}"
