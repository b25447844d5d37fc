// `transformers-cpp bench <generation task>`: time to first token (the prefill), per-token p50/p90, tokens/s,
// cache bytes per token and our allocator's allocations per step, greedy, from a prompt of --seq tokens.
#include <algorithm>
#include <chrono>
#include <cstdio>

#include "cli/figures.hpp"
#include "cli/args.hpp"
#include "cli/json_out.hpp"
#include "cli/options.hpp"
#include "transformers/error.hpp"
#include "transformers/memory.hpp"
#include "transformers/pipeline.hpp"

namespace transformers::cli {

int bench_generation(const Args& args, const std::string& task) {
  const std::string model = args.require("model");
  const int seq_requested = args.get_int("seq", 64), runs = args.get_int("runs", 5), warmup = args.get_int("warmup", 1);
  const int new_tokens = args.get_int("new-tokens", 64);
  if (seq_requested < 1 || runs < 1 || warmup < 0 || new_tokens < 1)
    throw InvalidInputError("bench: need --seq >= 1, --runs >= 1, --warmup >= 0, --new-tokens >= 1");
  RuntimeOptions ro;
  ro.intra_op_threads = args.get_int("threads", 0);
  configure_runtime(ro);
  Pipeline p = pipeline(task, model, pipeline_options(args));
  // A prompt of exactly --seq tokens where the tokenizer allows (counted, not assumed).
  std::string prompt;
  while (p.token_counts({prompt})[0] < static_cast<size_t>(seq_requested)) prompt += prompt.empty() ? "hello" : " hello";
  const size_t seq = p.token_counts({prompt})[0];
  // Greedy, a fixed number of new tokens (no eos stop).
  const auto options_for = [&](int n) {
    nlohmann::json j = {{"max_new_tokens", n}, {"min_new_tokens", n}, {"do_sample", false}};
    return call_options_from_json(task, j.dump());
  };
  for (int i = 0; i < warmup; ++i) p(prompt, options_for(new_tokens));
  std::vector<double> prefill, steps, totals, per_token_from_calls;
  uint64_t cache_per_token = 0, cache_bytes = 0;
  for (int i = 0; i < runs; ++i) {
    // Per token as tools/compare/generation_speed.mjs measures Transformers.js: (call of N+1 tokens - call of
    // 1 token) / N, end to end.
    const auto t0 = std::chrono::steady_clock::now();
    p(prompt, options_for(new_tokens + 1));
    const auto t1 = std::chrono::steady_clock::now();
    p(prompt, options_for(1));
    const auto t2 = std::chrono::steady_clock::now();
    per_token_from_calls.push_back((std::chrono::duration<double, std::milli>(t1 - t0).count() -
                                    std::chrono::duration<double, std::milli>(t2 - t1).count()) / new_tokens);
    const Output out = p(prompt, options_for(new_tokens));
    const GenerationStats& s = *out.generation_stats();
    prefill.push_back(s.prefill_ms);
    steps.insert(steps.end(), s.step_ms.begin(), s.step_ms.end());
    totals.push_back(s.total_ms);
    cache_per_token = s.cache_bytes_per_token;
    cache_bytes = s.cache_bytes;
  }
  // Allocations per step after the first: the difference between a long and a one-token call, per step.
  // And the mappings our allocator asked of the OS for them (its cache of freed blocks serves the rest).
  const AllocatorStats s0 = allocator_stats();
  p(prompt, options_for(1));
  const AllocatorStats s1 = allocator_stats();
  p(prompt, options_for(new_tokens + 1));
  const AllocatorStats s2 = allocator_stats();
  const auto per_step = [&](uint64_t AllocatorStats::*field) {
    return (static_cast<double>(s2.*field - s1.*field) - static_cast<double>(s1.*field - s0.*field)) / new_tokens;
  };
  const double allocations_per_step = per_step(&AllocatorStats::allocations);
  const double os_maps_per_step = per_step(&AllocatorStats::os_maps);
  const double step_p50 = percentile(steps, 0.5), step_p90 = percentile(steps, 0.9);
  const double tokens_per_s = 1000.0 / step_p50;
  if (args.has("json")) {
    nlohmann::ordered_json j = {{"impl", "transformers-cpp"}, {"task", task}, {"model", model}, {"seq", seq},
                                {"new_tokens", new_tokens}, {"runs", runs},
                                {"time_to_first_token_ms", percentile(prefill, 0.5)},
                                {"step_p50_ms", step_p50}, {"step_p90_ms", step_p90}, {"tokens_per_s", tokens_per_s},
                                {"call_p50_ms", percentile(totals, 0.5)},
                                {"per_token_from_calls_ms", percentile(per_token_from_calls, 0.5)}, {"cache_bytes_per_token", cache_per_token},
                                {"cache_bytes", cache_bytes}, {"allocations_per_step", allocations_per_step},
                                {"os_maps_per_step", os_maps_per_step}};
    print_json(j);
    return 0;
  }
  std::printf("%s on %s: prompt %zu tokens, %d new tokens, %d runs (greedy)\n", task.c_str(), model.c_str(), seq,
              new_tokens, runs);
  std::printf("  time to first token %8.2f ms\n  per token p50       %8.3f ms\n  per token p90       %8.3f ms\n"
              "  tokens/s (p50)      %8.1f\n  call p50            %8.1f ms\n  per token (calls)   %8.3f ms\n",
              percentile(prefill, 0.5), step_p50, step_p90, tokens_per_s, percentile(totals, 0.5),
              percentile(per_token_from_calls, 0.5));
  std::printf("  cache               %llu bytes per token, %llu bytes held at the end\n",
              static_cast<unsigned long long>(cache_per_token), static_cast<unsigned long long>(cache_bytes));
  std::printf("  allocator           %.1f allocations per step (ONNX Runtime's intermediates; the cache and logits: 0), "
              "%.2f OS mappings per step\n",
              allocations_per_step, os_maps_per_step);
  return 0;
}

}  // namespace transformers::cli
