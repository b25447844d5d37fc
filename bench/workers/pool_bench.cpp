// WorkerPool throughput: a burst of single-text calls through a pool of 1 or 2 workers (thread, and
// process once make_process_worker exists), beside the same calls on an in-process pipeline.
//
//   build/bench/pool_bench [--benchmark_repetitions=5]       (model: TRANSFORMERS_BENCH_MODEL, default
//                                                             models/minilm-sized-classifier)
// Args: workers, intra-op threads per worker pipeline (0 = the process-wide pool), texts per burst,
// recycle after M calls (0 = long-lived workers; 1 = one-shot: a fresh worker, and a fresh load, per call).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>

#include "transformers/pipeline.hpp"
#include "transformers/worker_pool.hpp"

namespace tf = transformers;

namespace {

std::filesystem::path model_dir() {
  if (const char* m = std::getenv("TRANSFORMERS_BENCH_MODEL")) return m;
  return std::filesystem::path(TRANSFORMERS_FIXTURES_DIR) / ".." / ".." / "models" / "minilm-sized-classifier";
}

// ~40 tokens each, different texts so nothing is cached anywhere.
std::vector<std::string> texts(int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) {
    out.push_back("Call number " + std::to_string(i) +
                  ": the worker pool routes this sentence to the worker that holds the model, and the "
                  "answer comes back through a future, as fast as the cores allow.");
  }
  return out;
}

tf::PipelineOptions pipeline_options(int threads) {
  tf::PipelineOptions o;
  o.session.intra_op_threads = threads;
  return o;
}

void pool_throughput(benchmark::State& state, tf::WorkerKind kind) {
  const size_t workers = static_cast<size_t>(state.range(0));
  const int threads = static_cast<int>(state.range(1));
  const std::vector<std::string> burst = texts(static_cast<int>(state.range(2)));
  tf::WorkerPoolOptions o;
  o.workers = workers;
  o.recycle.max_calls = static_cast<uint64_t>(state.range(3));
  o.worker.kind = kind;
  o.worker.executable = TRANSFORMERS_CLI_PATH;
  o.worker.intra_op_threads = threads;  // process workers: the child's pool
  o.replicas = workers;                 // one model: spread it over every worker
  o.max_queue = 0;
  tf::WorkerPool pool(o);
  tf::WorkerCall call;
  call.task = "text-classification";
  call.model = model_dir();
  call.pipeline_options = pipeline_options(kind == tf::WorkerKind::thread ? threads : 0);
  call.batched = false;
  // Warm every replica: two calls at once place the key on both workers.
  {
    std::vector<std::future<tf::Output>> warm;
    for (size_t i = 0; i < 2 * workers; ++i) {
      call.inputs = {burst[i % burst.size()]};
      warm.push_back(pool.submit(call));
    }
    for (auto& f : warm) f.get();
  }
  for (auto _ : state) {
    std::vector<std::future<tf::Output>> futures;
    futures.reserve(burst.size());
    for (const auto& text : burst) {
      call.inputs = {text};
      futures.push_back(pool.submit(call));
    }
    for (auto& f : futures) benchmark::DoNotOptimize(f.get());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * burst.size()));
  const auto s = pool.stats();
  state.counters["on_w0"] = static_cast<double>(s.workers[0].calls_completed);
  if (workers > 1) state.counters["on_w1"] = static_cast<double>(s.workers[1].calls_completed);
  state.counters["restarts"] = static_cast<double>(s.recycled_calls);
}

void BM_InProcess(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(1));
  const std::vector<std::string> burst = texts(static_cast<int>(state.range(2)));
  tf::Pipeline p = tf::pipeline("text-classification", model_dir(), pipeline_options(threads));
  p(burst[0]);
  for (auto _ : state) {
    for (const auto& text : burst) benchmark::DoNotOptimize(p(text));
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * burst.size()));
}

void BM_ThreadPool(benchmark::State& state) { pool_throughput(state, tf::WorkerKind::thread); }
void BM_ProcessPool(benchmark::State& state) { pool_throughput(state, tf::WorkerKind::process); }

bool process_workers_available() {
  try {
    tf::WorkerOptions o;
    o.kind = tf::WorkerKind::process;
    o.executable = TRANSFORMERS_CLI_PATH;
    auto w = tf::make_worker(o);
    w->terminate();
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace

// {workers, intra-op threads, texts per burst, recycle after M calls}. On 2 cores: 1 worker with the
// 2-thread pool, or 2 workers of 1 thread each (2 x 2 threads would oversubscribe).
void pool_args(benchmark::internal::Benchmark* b) {
  b->Args({1, 0, 32, 0})->Args({1, 1, 32, 0})->Args({2, 1, 32, 0})->Args({2, 0, 32, 0});
  b->Args({1, 0, 32, 8})->Args({1, 0, 8, 1});  // recycled every 8 calls; one-shot
  b->Unit(benchmark::kMillisecond)->UseRealTime();
}
BENCHMARK(BM_InProcess)->Args({1, 0, 32})->Args({1, 1, 32})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ThreadPool)->Apply(pool_args);

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (process_workers_available()) {
    benchmark::RegisterBenchmark("BM_ProcessPool", BM_ProcessPool)->Apply(pool_args);
  } else {
    std::fprintf(stderr, "process workers not available in this build: BM_ProcessPool skipped\n");
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
