// `transformers-cpp similarity --model DIR QUERY SENTENCE...`: ranks sentences by cosine similarity of their
// embeddings to the query's, and shows what the run cost in memory.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <numeric>

#include "cli/args.hpp"
#include "cli/json_out.hpp"
#include "cli/options.hpp"
#include "transformers/error.hpp"
#include "transformers/memory_report.hpp"
#include "transformers/pipeline.hpp"

namespace transformers::cli {

int similarity_command(const Args& args) {
  // QUERY and SENTENCEs as arguments; what is missing comes from stdin lines (as run reads them).
  std::vector<std::string> texts = args.positionals();
  if (texts.size() < 2)
    for (std::string line; std::getline(std::cin, line);) texts.push_back(line);
  if (texts.size() < 2) throw InvalidInputError("similarity: give a query and at least one sentence");
  const Pooling pooling = parse_pooling(args.get("pooling").value_or("mean"));
  if (pooling == Pooling::none) throw InvalidInputError("similarity: --pooling none gives no sentence vector; use mean, cls or last_token");
  using clock = std::chrono::steady_clock;
  const auto ms_since = [](clock::time_point t) {
    return std::chrono::duration<double, std::milli>(clock::now() - t).count();
  };
  const ProcessMemory before = process_memory();
  const auto load_start = clock::now();
  Pipeline p = pipeline("feature-extraction", args.require("model"), pipeline_options(args));
  const double load_ms = ms_since(load_start);
  const FeatureExtractionOptions call{pooling, true};  // unit vectors: the dot product is the cosine
  const auto run_start = clock::now();
  const Tensor e = p(texts, call).tensor();
  const double run_ms = ms_since(run_start);
  if (e.rank() != 2) throw InvalidInputError("similarity: needs one vector per text; use --pooling mean or cls");
  const size_t dim = static_cast<size_t>(e.dims[1]);
  std::vector<double> cosine(texts.size(), 0.0);
  for (size_t i = 1; i < texts.size(); ++i)
    for (size_t k = 0; k < dim; ++k) cosine[i] += double(e.data[k]) * e.data[i * dim + k];
  std::vector<size_t> order(texts.size() - 1);
  std::iota(order.begin(), order.end(), size_t{1});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return cosine[a] > cosine[b]; });
  const MemoryReport report = memory_report();
  p.dispose();
  const ProcessMemory after = process_memory();

  if (args.has("json")) {
    nlohmann::ordered_json j;
    j["query"] = texts[0];
    j["ranking"] = nlohmann::ordered_json::array();
    for (size_t i : order) j["ranking"].push_back({{"index", i - 1}, {"text", texts[i]}, {"cosine", cosine[i]}});
    j["load_ms"] = load_ms;
    j["run_ms"] = run_ms;
    j["rss_before_load"] = before.rss;
    j["rss_after_dispose"] = after.rss;
    j["memory"] = nlohmann::ordered_json::parse(report.to_json());
    print_json(j);
    return 0;
  }
  std::printf("query: %s\n\n", texts[0].c_str());
  for (size_t r = 0; r < order.size(); ++r) std::printf("%2zu. %.4f  %s\n", r + 1, cosine[order[r]], texts[order[r]].c_str());
  std::printf("\nloaded in %.1f ms, %zu texts embedded in %.1f ms\n", load_ms, texts.size(), run_ms);
  std::printf("\nmemory while the pipeline was loaded:\n%s", report.to_table().c_str());
  std::printf("RSS before load %.1f MiB, after dispose %.1f MiB (what stays is ONNX Runtime's code and one-time\n"
              "state, not the model: see docs/memory.md)\n",
              before.rss / 1048576.0, after.rss / 1048576.0);
  return 0;
}

}  // namespace transformers::cli
