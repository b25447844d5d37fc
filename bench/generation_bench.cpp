// Greedy decoding at batch 1: a bare ONNX Runtime loop (its C++ API, default session settings, the same
// thread count, the cache bound with I/O binding into preallocated ping-pong buffers, argmax only) against
// the text-generation pipeline on the same model and prompt, rounds interleaved. Prints per-step medians
// and their ratio (issue 14: the pipeline's step ≤ 1.05× the bare step).
//   build/bench/generation_bench MODEL_DIR [PROMPT_TOKENS=64] [NEW_TOKENS=64] [ROUNDS=5]
#include <onnxruntime_cxx_api.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "transformers/transformers.hpp"

namespace tf = transformers;
using Clock = std::chrono::steady_clock;

namespace {
double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}
double ms(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double, std::milli>(b - a).count(); }

// The bare loop: prefill, then one token per step; returns each step's time (after the prefill).
std::vector<double> bare_steps(Ort::Session& s, const std::vector<int64_t>& prompt, int new_tokens, int layers,
                               int64_t heads, int64_t head_dim, int64_t vocab, bool has_positions,
                               std::vector<int64_t>& tokens) {
  const size_t max_len = prompt.size() + static_cast<size_t>(new_tokens);
  auto cpu = Ort::MemoryInfo::CreateCpu(OrtDeviceAllocator, OrtMemTypeDefault);
  const size_t per = static_cast<size_t>(heads * head_dim) * max_len;
  std::vector<std::vector<float>> a(static_cast<size_t>(2 * layers), std::vector<float>(per)), b = a;
  std::vector<float> logits(prompt.size() * static_cast<size_t>(vocab));
  std::vector<int64_t> ids = prompt, mask(max_len, 1), pos;
  std::vector<std::string> past_names, present_names;
  for (int l = 0; l < layers; ++l)
    for (const char* kv : {"key", "value"}) {
      past_names.push_back("past_key_values." + std::to_string(l) + "." + kv);
      present_names.push_back("present." + std::to_string(l) + "." + kv);
    }
  std::vector<double> out;
  size_t past = 0;
  tokens.clear();
  for (int step = 0; step < new_tokens; ++step) {
    const auto t0 = Clock::now();
    const size_t seq = step == 0 ? prompt.size() : 1;
    const std::vector<int64_t> step_ids(ids.end() - static_cast<std::ptrdiff_t>(seq), ids.end());
    pos.resize(seq);
    for (size_t k = 0; k < seq; ++k) pos[k] = static_cast<int64_t>(past + k);
    const int64_t ids_dims[] = {1, static_cast<int64_t>(seq)}, mask_dims[] = {1, static_cast<int64_t>(past + seq)};
    Ort::IoBinding io(s);
    io.BindInput("input_ids", Ort::Value::CreateTensor<int64_t>(cpu, const_cast<int64_t*>(step_ids.data()), seq, ids_dims, 2));
    io.BindInput("attention_mask", Ort::Value::CreateTensor<int64_t>(cpu, mask.data(), past + seq, mask_dims, 2));
    if (has_positions) io.BindInput("position_ids", Ort::Value::CreateTensor<int64_t>(cpu, pos.data(), seq, ids_dims, 2));
    for (size_t t = 0; t < past_names.size(); ++t) {
      const int64_t pd[] = {1, heads, static_cast<int64_t>(past), head_dim};
      const int64_t nd[] = {1, heads, static_cast<int64_t>(past + seq), head_dim};
      io.BindInput(past_names[t].c_str(), Ort::Value::CreateTensor<float>(cpu, a[t].data(), static_cast<size_t>(heads * head_dim) * past, pd, 4));
      io.BindOutput(present_names[t].c_str(), Ort::Value::CreateTensor<float>(cpu, b[t].data(), static_cast<size_t>(heads * head_dim) * (past + seq), nd, 4));
    }
    const int64_t ld[] = {1, static_cast<int64_t>(seq), vocab};
    io.BindOutput("logits", Ort::Value::CreateTensor<float>(cpu, logits.data(), seq * static_cast<size_t>(vocab), ld, 3));
    s.Run(Ort::RunOptions{nullptr}, io);
    const float* last = logits.data() + (seq - 1) * static_cast<size_t>(vocab);
    const int64_t next = std::max_element(last, last + vocab) - last;
    ids.push_back(next);
    tokens.push_back(next);
    std::swap(a, b);
    past += seq;
    if (step > 0) out.push_back(ms(t0, Clock::now()));
  }
  return out;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: generation_bench MODEL_DIR [PROMPT_TOKENS] [NEW_TOKENS] [ROUNDS] [MEMORY=1|0]\n");
    return 2;
  }
  const std::string dir = argv[1];
  const int prompt_tokens = argc > 2 ? std::stoi(argv[2]) : 64, new_tokens = argc > 3 ? std::stoi(argv[3]) : 64;
  const int rounds = argc > 4 ? std::stoi(argv[4]) : 5;
  const bool memory = argc > 5 ? std::string(argv[5]) != "0" : true;  // 0: only the step times
  const int threads = static_cast<int>(std::thread::hardware_concurrency());
  tf::RuntimeOptions ro;
  ro.intra_op_threads = threads;
  tf::configure_runtime(ro);
  tf::Pipeline p = tf::pipeline("text-generation", dir);
  // A prompt of prompt_tokens tokens.
  std::string text;
  while (p.token_counts({text})[0] < static_cast<size_t>(prompt_tokens)) text += text.empty() ? "hello" : " hello";
  const tf::Tokenizer tok = tf::Tokenizer::from_files(dir + "/tokenizer.json", dir + "/tokenizer_config.json");
  const std::vector<int64_t> prompt = tok.encode(text, {.add_special_tokens = false}).ids;

  Ort::Env env(ORT_LOGGING_LEVEL_WARNING, "bare");
  Ort::SessionOptions so;
  so.SetIntraOpNumThreads(threads);
  so.SetGraphOptimizationLevel(ORT_ENABLE_ALL);
  Ort::Session bare(env, (dir + "/onnx/model.onnx").c_str(), so);
  // Geometry from the graph: past_key_values.0.key [batch, heads, past, head_dim], logits [.., .., vocab].
  int layers = 0;
  bool positions = false;
  for (size_t i = 0; i < bare.GetInputCount(); ++i) {
    const std::string name = bare.GetInputNameAllocated(i, Ort::AllocatorWithDefaultOptions()).get();
    layers += name.rfind("past_key_values.", 0) == 0 && name.size() > 4 && name.compare(name.size() - 4, 4, ".key") == 0;
    positions = positions || name == "position_ids";
  }
  const auto pkv = bare.GetInputTypeInfo(bare.GetInputCount() - 1).GetTensorTypeAndShapeInfo().GetShape();
  const auto lg = bare.GetOutputTypeInfo(0).GetTensorTypeAndShapeInfo().GetShape();
  const int64_t heads = pkv[1], head_dim = pkv[3], vocab = lg[2];

  nlohmann::json options = {{"max_new_tokens", new_tokens}, {"min_new_tokens", new_tokens}, {"return_full_text", false}};
  const tf::CallOptions call = tf::call_options_from_json("text-generation", options.dump());
  std::vector<double> bare_medians, ours_medians;
  std::vector<int64_t> tokens;
  bare_steps(bare, prompt, 4, layers, heads, head_dim, vocab, positions, tokens);  // warm-up
  p(text, call);
  for (int r = 0; r < rounds; ++r) {
    bare_medians.push_back(median(bare_steps(bare, prompt, new_tokens, layers, heads, head_dim, vocab, positions, tokens)));
    const tf::Output out = p(text, call);
    ours_medians.push_back(median(out.generation_stats()->step_ms));
  }
  const double bare_ms = median(bare_medians), ours_ms = median(ours_medians);
  std::printf("%s: prompt %zu tokens, %d new tokens, %d rounds, %d threads\n", dir.c_str(), prompt.size(), new_tokens,
              rounds, threads);
  std::printf("  bare ONNX Runtime step (I/O binding)  %8.3f ms\n  text-generation pipeline step         %8.3f ms\n"
              "  ratio pipeline / bare                  %8.3f\n",
              bare_ms, ours_ms, ours_ms / bare_ms);

  // Memory: RSS growth over a long generation against the cache the call reports. RSS is sampled from the
  // stream callback on the last token, while the cache is live; the baseline is taken after a short call so
  // that ONNX Runtime's first-run buffers are already there.
  const int long_tokens = std::min<int>(1000, static_cast<int>(p.max_input_tokens()) - 24);
  if (memory && long_tokens > 64) {
    nlohmann::json lo = {{"max_new_tokens", long_tokens}, {"min_new_tokens", long_tokens}, {"return_full_text", false}};
    const tf::CallOptions long_call = tf::call_options_from_json("text-generation", lo.dump());
    const std::string short_prompt = "hello hello hello hello hello hello hello hello";
    p(short_prompt, call);
    const uint64_t before = tf::process_memory().rss;
    uint64_t at_end = 0;
    int tokens_seen = 0;
    const tf::Output out = p.stream(tf::PipelineInputs{{short_prompt}, {}, {}}, false, long_call, [&](const tf::StreamChunk& c) {
      ++tokens_seen;
      at_end = std::max(at_end, tf::process_memory().rss);
      (void)c;
      return true;
    });
    const auto& st = *out.generation_stats();
    const double growth = static_cast<double>(at_end - before), cache = static_cast<double>(st.cache_bytes);
    std::printf("  memory over %zu new tokens: RSS +%.1f MiB while generating, the call's cache %.1f MiB "
                "(%llu bytes/token, two buffers): ratio %.3f\n",
                st.steps, growth / 1048576.0, cache / 1048576.0, static_cast<unsigned long long>(st.cache_bytes_per_token),
                growth / cache);
  }
  return 0;
}
