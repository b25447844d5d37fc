// `transformers-cpp bench`: load time, latency percentiles, throughput and RSS phases of one pipeline.
// The input rule matches tools/compare/bench_transformersjs.mjs: B copies of "hello" repeated S-2 times,
// which BERT tokenizers turn into exactly S tokens with [CLS] and [SEP].
#include <algorithm>
#include <chrono>
#include <cstdio>

#include "cli/figures.hpp"
#include "cli/args.hpp"
#include "cli/json_out.hpp"
#include "cli/options.hpp"
#include "transformers/engine.hpp"
#include "transformers/error.hpp"
#include "transformers/memory.hpp"
#include "transformers/pipeline.hpp"

namespace transformers::cli {

namespace {
constexpr int kMaxBenchBatch = 4096;
using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}
}  // namespace

int bench_command(const Args& args) {
  if (args.positionals().size() != 1) throw InvalidInputError("bench: give exactly one <task>");
  const std::string task = args.positionals()[0];
  for (const char* t : {"text-generation", "text2text-generation", "translation", "summarization"})
    if (canonical_task(task) == t) return bench_generation(args, canonical_task(task));
  const std::string model = args.require("model");
  const int batch = args.get_int("batch", 1), seq_requested = args.get_int("seq", 16), runs = args.get_int("runs", 50);
  const int warmup = args.get_int("warmup", 3), threads = args.get_int("threads", 0);
  // Bounds checked before anything is allocated; --seq against the model once it is loaded.
  if (batch < 1 || batch > kMaxBenchBatch || seq_requested < 3 || runs < 1 || warmup < 0) {
    throw InvalidInputError("bench: need 1 <= --batch <= " + std::to_string(kMaxBenchBatch) +
                            ", --seq >= 3, --runs >= 1, --warmup >= 0");
  }
  check_intra_op_threads(threads, "--threads");
  // As tools/compare/bench_transformersjs.mjs: feature extraction runs with mean pooling + normalize.
  CallOptions call;
  if (canonical_task(task) == "feature-extraction") {
    call = FeatureExtractionOptions{parse_pooling(args.get("pooling").value_or("mean")), !args.has("no-normalize")};
  } else {
    for (const char* f : {"pooling", "no-normalize"})
      if (args.has(f)) throw InvalidInputError("--" + std::string(f) + " does not apply to " + canonical_task(task));
  }
  RuntimeOptions ro;
  ro.intra_op_threads = threads;
  configure_runtime(ro);

  const int loads = args.get_int("loads", 1);
  if (loads < 1) throw InvalidInputError("bench: --loads must be >= 1");
  PipelineOptions po = pipeline_options(args);
  po.session.intra_op_threads = 0;  // the global pool sized by --threads

  // The first load of a process also creates ONNX Runtime's environment and thread pool; with --loads N
  // the pipeline is loaded and disposed N-1 more times and load_ms is the median (first_load_ms apart),
  // which is what a long-running program pays per model.
  const ProcessMemory before_load = process_memory();
  auto t0 = Clock::now();
  std::vector<double> load_times;
  for (int i = 1; i < loads; ++i) {
    t0 = Clock::now();
    pipeline(task, model, po).dispose();
    load_times.push_back(ms_since(t0));
  }
  t0 = Clock::now();
  Pipeline p = pipeline(task, model, po);
  load_times.push_back(ms_since(t0));
  const double first_load_ms = load_times.front();
  const double load_ms = loads == 1 ? load_times[0] : percentile(load_times, 0.5);
  const ProcessMemory after_load = process_memory();

  // --seq counts tokens, not words (a small vocabulary splits "hello" in two): the input is built from the
  // tokenizer's own counts, and what the model saw is reported.
  if (static_cast<size_t>(seq_requested) > p.max_input_tokens()) {
    throw InvalidInputError("bench: --seq " + std::to_string(seq_requested) + " exceeds the " +
                            std::to_string(p.max_input_tokens()) + " tokens " + model + " takes");
  }
  const size_t special = p.token_counts({""})[0];
  const size_t per_word = std::max<size_t>(1, p.token_counts({"hello"})[0] - special);
  std::string text;
  for (size_t i = 0; special + (i + 1) * per_word <= static_cast<size_t>(seq_requested); ++i) text += i ? " hello" : "hello";
  const std::vector<std::string> texts(static_cast<size_t>(batch), text);
  const int seq = static_cast<int>(p.token_counts({text})[0]);

  t0 = Clock::now();
  p(texts, call);
  const double first_run_ms = ms_since(t0);
  for (int i = 0; i < warmup; ++i) p(texts, call);
  std::vector<double> lat;
  lat.reserve(static_cast<size_t>(runs));
  const auto all0 = Clock::now();
  for (int i = 0; i < runs; ++i) {
    t0 = Clock::now();
    p(texts, call);
    lat.push_back(ms_since(t0));
  }
  const double total_ms = ms_since(all0);
  const ProcessMemory after_runs = process_memory();
  p.dispose();
  const ProcessMemory after_dispose = process_memory();
  trim_heap();
  const ProcessMemory after_trim = process_memory();

  const double p50 = percentile(lat, 0.5), p90 = percentile(lat, 0.9);
  const double seqs_per_s = batch * runs / (total_ms / 1000.0);
  const int used_threads = runtime_options().intra_op_threads;
  if (args.has("json")) {
    nlohmann::ordered_json j = {{"impl", "transformers-cpp"}, {"task", task}, {"model", model}, {"batch", batch},
                                {"seq", seq},  {"seq_requested", seq_requested}, {"runs", runs},
                                {"threads", used_threads}, {"loads", loads}, {"first_load_ms", first_load_ms},
                                {"load_ms", load_ms}, {"first_run_ms", first_run_ms}, {"p50_ms", p50},
                                {"p90_ms", p90}, {"seqs_per_s", seqs_per_s}};
    j["rss_mib"] = {{"before_load", mib(before_load.rss)}, {"after_load", mib(after_load.rss)},
                    {"after_runs", mib(after_runs.rss)}, {"after_dispose", mib(after_dispose.rss)},
                    {"after_trim", mib(after_trim.rss)}};
    print_json(j);
    return 0;
  }
  std::printf("%s on %s: batch %d x seq %d tokens, %d runs, %d threads\n", task.c_str(), model.c_str(), batch, seq,
              runs, used_threads);
  if (seq != seq_requested) std::printf("  (--seq %d asked; %d tokens is the closest this tokenizer makes)\n", seq_requested, seq);
  if (loads > 1) std::printf("  first load    %9.2f ms\n  load (median of %d) %4.2f ms\n", first_load_ms, loads, load_ms);
  else std::printf("  load          %9.2f ms\n", load_ms);
  std::printf("  first run     %9.2f ms\n", first_run_ms);
  std::printf("  p50 latency   %9.3f ms\n  p90 latency   %9.3f ms\n  throughput    %9.1f sequences/s\n", p50, p90,
              seqs_per_s);
  std::printf("  RSS MiB       before load %.1f | after load %.1f | after runs %.1f | after dispose %.1f | "
              "after trim %.1f\n",
              mib(before_load.rss), mib(after_load.rss), mib(after_runs.rss), mib(after_dispose.rss),
              mib(after_trim.rss));
  return 0;
}

}  // namespace transformers::cli
