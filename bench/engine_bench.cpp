// Raw ONNX Runtime (its C++ API, default session settings but the same thread count) against our Session and
// the whole text-classification pipeline, on the same model and the same B x S input.
//   build/bench/engine_bench [--benchmark_filter=...]   with env BENCH_MODEL=DIR BENCH_BATCH=B BENCH_SEQ=S
//   BENCH_THREADS=T (defaults: the tiny fixture, 1, 16, one per core).
#include <benchmark/benchmark.h>
#include <onnxruntime_cxx_api.h>

#include <cstdlib>
#include <thread>

#include "transformers/transformers.hpp"

namespace tf = transformers;

namespace {
std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}
const std::string kModel = env_or("BENCH_MODEL", std::string(TRANSFORMERS_FIXTURES_DIR) + "/models/tiny-bert-sentiment");
const int kBatch = std::stoi(env_or("BENCH_BATCH", "1"));
const int kSeq = std::stoi(env_or("BENCH_SEQ", "16"));
const int kThreads = std::stoi(env_or("BENCH_THREADS", std::to_string(std::thread::hardware_concurrency())));

// [CLS] hello ... hello [SEP], as the CLI bench and the Transformers.js script feed.
struct Ids {
  std::vector<int64_t> ids, mask, types;
  std::vector<int64_t> dims{kBatch, kSeq};
  Ids() {
    for (int b = 0; b < kBatch; ++b)
      for (int s = 0; s < kSeq; ++s) ids.push_back(s == 0 ? 101 : s == kSeq - 1 ? 102 : 7592);
    mask.assign(ids.size(), 1);
    types.assign(ids.size(), 0);
  }
};

std::string model_file() { return kModel + "/onnx/model.onnx"; }

void configure() {
  static bool done = [] {
    tf::RuntimeOptions o;
    o.intra_op_threads = kThreads;
    tf::configure_runtime(o);
    return true;
  }();
  (void)done;
}

void BM_RawOnnxRuntime(benchmark::State& state) {
  // ONNX Runtime keeps one environment per process: let ours (with its global pool) be created first,
  // then this one shares it; the raw session below still runs on its own per-session pool.
  configure();
  { tf::Session warm(model_file()); }
  Ort::Env env(ORT_LOGGING_LEVEL_WARNING, "raw");
  Ort::SessionOptions so;
  so.SetIntraOpNumThreads(kThreads);
  so.SetGraphOptimizationLevel(ORT_ENABLE_ALL);
  Ort::Session session(env, model_file().c_str(), so);
  Ids in;
  auto cpu = Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault);
  std::vector<Ort::Value> values;
  values.push_back(Ort::Value::CreateTensor<int64_t>(cpu, in.ids.data(), in.ids.size(), in.dims.data(), 2));
  values.push_back(Ort::Value::CreateTensor<int64_t>(cpu, in.mask.data(), in.mask.size(), in.dims.data(), 2));
  values.push_back(Ort::Value::CreateTensor<int64_t>(cpu, in.types.data(), in.types.size(), in.dims.data(), 2));
  const char* in_names[] = {"input_ids", "attention_mask", "token_type_ids"};
  const char* out_names[] = {"logits"};
  for (auto _ : state) {
    auto out = session.Run(Ort::RunOptions{nullptr}, in_names, values.data(), 3, out_names, 1);
    benchmark::DoNotOptimize(out[0].GetTensorData<float>());
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}

void run_session(benchmark::State& state, int own_threads) {
  configure();
  tf::SessionOptions so;
  so.intra_op_threads = own_threads;
  tf::Session session(model_file(), so);
  Ids in;
  const size_t bytes = in.ids.size() * sizeof(int64_t);
  std::vector<tf::InputTensor> inputs = {{"input_ids", tf::ElementType::int64, in.dims, in.ids.data(), bytes},
                                         {"attention_mask", tf::ElementType::int64, in.dims, in.mask.data(), bytes},
                                         {"token_type_ids", tf::ElementType::int64, in.dims, in.types.data(), bytes}};
  for (auto _ : state) benchmark::DoNotOptimize(session.run(inputs, {"logits"}));
  state.SetItemsProcessed(state.iterations() * kBatch);
}
// On the process-wide pool (the default), and on a private pool like the raw session's.
void BM_Session(benchmark::State& state) { run_session(state, 0); }
void BM_SessionOwnPool(benchmark::State& state) { run_session(state, kThreads); }

void BM_Pipeline(benchmark::State& state) {
  configure();
  auto p = tf::pipeline("text-classification", kModel);
  std::string text;
  for (int i = 0; i < kSeq - 2; ++i) text += i ? " hello" : "hello";
  const std::vector<std::string> texts(kBatch, text);
  for (auto _ : state) benchmark::DoNotOptimize(p(texts));
  state.SetItemsProcessed(state.iterations() * kBatch);
}

void BM_Tokenize(benchmark::State& state) {
  const auto tok = tf::Tokenizer::from_files(kModel + "/tokenizer.json", kModel + "/tokenizer_config.json");
  std::string text;
  for (int i = 0; i < kSeq - 2; ++i) text += i ? " hello" : "hello";
  const std::vector<std::string> texts(kBatch, text);
  tf::EncodeOptions o;
  o.padding = tf::Padding::longest;
  o.truncation = true;
  for (auto _ : state) benchmark::DoNotOptimize(tok.encode_batch(texts, o));
  state.SetItemsProcessed(state.iterations() * kBatch);
}
}  // namespace

BENCHMARK(BM_RawOnnxRuntime)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_Session)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_SessionOwnPool)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_Pipeline)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_Tokenize)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK_MAIN();
