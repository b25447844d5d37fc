// What a process worker adds: p50 latency of one call through a child process vs in-process, and the
// worker's start-up time (spawn to the first answer).
//   build/process_worker_bench --benchmark_repetitions=5 --benchmark_enable_random_interleaving=true
//   env BENCH_MODEL=DIR (default models/minilm-sized-classifier, else the tiny fixture), BENCH_BATCH=1,
//   BENCH_SEQ=16, BENCH_THREADS=0. Read the p50_us counters (median aggregate over repetitions).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>

#include "transformers/transformers.hpp"
#include "transformers/worker.hpp"

namespace tf = transformers;
namespace fs = std::filesystem;

namespace {
using Clock = std::chrono::steady_clock;

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

fs::path default_model() {
  const fs::path minilm = fs::path(TRANSFORMERS_FIXTURES_DIR).parent_path().parent_path() / "models" /
                          "minilm-sized-classifier";
  return fs::exists(minilm / "config.json") ? minilm
                                            : fs::path(TRANSFORMERS_FIXTURES_DIR) / "models" / "tiny-bert-sentiment";
}

const fs::path kModel = env_or("BENCH_MODEL", default_model().string());
const int kBatch = std::stoi(env_or("BENCH_BATCH", "1"));
const int kSeq = std::stoi(env_or("BENCH_SEQ", "16"));
// Intra-op threads on both sides (0 = one per core); 1 makes the comparison less sensitive to a busy machine.
const int kThreads = std::stoi(env_or("BENCH_THREADS", "0"));

// B copies of "hello" x (S - 2): S tokens with [CLS] and [SEP], as the CLI bench feeds.
std::vector<std::string> inputs() {
  std::string text;
  for (int i = 0; i < kSeq - 2; ++i) text += i ? " hello" : "hello";
  return std::vector<std::string>(kBatch, text);
}

tf::WorkerOptions worker_options() {
  tf::WorkerOptions o;
  o.kind = tf::WorkerKind::process;
  o.executable = TRANSFORMERS_CLI_PATH;
  o.intra_op_threads = kThreads;
  return o;
}

void report_p50(benchmark::State& state, std::vector<double>& us) {
  if (us.empty()) return;
  std::nth_element(us.begin(), us.begin() + us.size() / 2, us.end());
  state.counters["p50_us"] = us[us.size() / 2];
}

void configure_in_process() {
  static const bool configured = [] {
    tf::RuntimeOptions o = tf::runtime_options();
    o.intra_op_threads = kThreads;
    tf::configure_runtime(o);
    return true;
  }();
  (void)configured;
}

void BM_InProcess(benchmark::State& state) {
  configure_in_process();
  auto classify = tf::pipeline("text-classification", kModel);
  const auto in = inputs();
  for (int i = 0; i < 5; ++i) classify(in);
  std::vector<double> us;
  for (auto _ : state) {
    const auto t0 = Clock::now();
    benchmark::DoNotOptimize(classify(in));
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  report_p50(state, us);
}

void BM_ProcessWorker(benchmark::State& state) {
  auto worker = tf::make_worker(worker_options());
  tf::WorkerCall call;
  call.task = "text-classification";
  call.model = kModel;
  call.inputs = inputs();
  for (int i = 0; i < 5; ++i) worker->submit(call).get();
  std::vector<double> us;
  for (auto _ : state) {
    const auto t0 = Clock::now();
    benchmark::DoNotOptimize(worker->submit(call).get());
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  report_p50(state, us);
}

// The same call in-process and through the worker, alternating iteration by iteration (order swapped every
// other time): the median of the paired differences is the added latency, robust to a machine whose load
// drifts between benchmarks.
void BM_PairedAddedLatency(benchmark::State& state) {
  configure_in_process();
  auto classify = tf::pipeline("text-classification", kModel);
  auto worker = tf::make_worker(worker_options());
  tf::WorkerCall call;
  call.task = "text-classification";
  call.model = kModel;
  call.inputs = inputs();
  for (int i = 0; i < 5; ++i) {
    classify(call.inputs);
    worker->submit(call).get();
  }
  std::vector<double> local_us, worker_us, added_us;
  bool worker_first = false;
  for (auto _ : state) {
    double local = 0, remote = 0;
    for (int k = 0; k < 2; ++k) {
      const auto t0 = Clock::now();
      if ((k == 0) == worker_first) {
        benchmark::DoNotOptimize(worker->submit(call).get());
        remote = std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
      } else {
        benchmark::DoNotOptimize(classify(call.inputs));
        local = std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
      }
    }
    worker_first = !worker_first;
    local_us.push_back(local);
    worker_us.push_back(remote);
    added_us.push_back(remote - local);
  }
  report_p50(state, local_us);
  state.counters["in_process_p50_us"] = state.counters["p50_us"];
  report_p50(state, worker_us);
  state.counters["worker_p50_us"] = state.counters["p50_us"];
  report_p50(state, added_us);
  state.counters["added_p50_us"] = state.counters["p50_us"];
}

// A round trip with no inference: the protocol and the two processes' thread hand-offs alone.
void BM_ProcessWorkerMemoryReport(benchmark::State& state) {
  auto worker = tf::make_worker(worker_options());
  std::vector<double> us;
  for (auto _ : state) {
    const auto t0 = Clock::now();
    benchmark::DoNotOptimize(worker->memory_report());
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  report_p50(state, us);
}

// The bare round trip: unloading a pipeline the child does not hold is a map lookup on its side.
void BM_ProcessWorkerRoundTrip(benchmark::State& state) {
  auto worker = tf::make_worker(worker_options());
  std::vector<double> us;
  for (auto _ : state) {
    const auto t0 = Clock::now();
    benchmark::DoNotOptimize(worker->unload("text-classification", kModel).get());
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  report_p50(state, us);
}

// Spawn to hello answered (make_worker returns), and spawn to the first call's answer (includes the load).
void BM_WorkerStartup(benchmark::State& state) {
  tf::WorkerCall call;
  call.task = "text-classification";
  call.model = kModel;
  call.inputs = inputs();
  std::vector<double> ready_us, first_us;
  for (auto _ : state) {
    const auto t0 = Clock::now();
    auto worker = tf::make_worker(worker_options());
    const auto t1 = Clock::now();
    worker->submit(call).get();
    const auto t2 = Clock::now();
    ready_us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    first_us.push_back(std::chrono::duration<double, std::micro>(t2 - t0).count());
    state.PauseTiming();
    worker.reset();  // terminate + reap, not timed
    state.ResumeTiming();
  }
  report_p50(state, ready_us);
  state.counters["ready_p50_us"] = state.counters["p50_us"];
  report_p50(state, first_us);
  state.counters["first_answer_p50_us"] = state.counters["p50_us"];
}
}  // namespace

// Real time: the host thread mostly waits for the child, so CPU time would say nothing (and would make
// the library run far more iterations to reach a minimum of CPU time).
BENCHMARK(BM_InProcess)->Unit(benchmark::kMicrosecond)->MinTime(2.0)->UseRealTime();
BENCHMARK(BM_ProcessWorker)->Unit(benchmark::kMicrosecond)->MinTime(2.0)->UseRealTime();
BENCHMARK(BM_PairedAddedLatency)->Unit(benchmark::kMicrosecond)->MinTime(4.0)->UseRealTime();
BENCHMARK(BM_ProcessWorkerMemoryReport)->Unit(benchmark::kMicrosecond)->MinTime(1.0)->UseRealTime();
BENCHMARK(BM_ProcessWorkerRoundTrip)->Unit(benchmark::kMicrosecond)->MinTime(1.0)->UseRealTime();
BENCHMARK(BM_WorkerStartup)->Unit(benchmark::kMillisecond)->Iterations(10)->UseRealTime();

BENCHMARK_MAIN();
