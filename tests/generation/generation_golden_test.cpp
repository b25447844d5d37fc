// Every case of tests/fixtures/golden/generation.json (Transformers.js 4.3.1 on tiny-gpt2, tiny-llama and
// tiny-marian, tools/golden/generation_goldens.mjs): greedy outputs and errors, seeded samples, exactly; the
// step-1 sampling distributions against the empirical distribution of seeded first tokens.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

#include "core/files.hpp"
#include "pipeline_cache.hpp"
#include "test_support.hpp"
#include "transformers/pipeline.hpp"
#include "transformers/tokenizer.hpp"

using namespace transformers;
using nlohmann::json;

namespace {

const json& goldens() {
  static const json g =
      json::parse(core::read_text_file(fixtures::root() / "golden" / "generation.json", "golden file"));
  return g;
}

Pipeline& pipeline_for(const std::string& task, const std::string& model) {
  return fixtures::cached_pipeline(task, model);
}

bool is_chat(const json& in) { return in.is_array() && !in.empty() && in[0].is_object(); }

Chat chat_of(const json& messages) {
  Chat chat;
  for (const auto& m : messages) chat.push_back({m["role"], m["content"]});
  return chat;
}

Output run_case(const json& c, json options) {
  const std::string task = c["task"];
  Pipeline& p = pipeline_for(task, c["model"]);
  const CallOptions o = call_options_from_json(task, options.dump());
  const json& in = c["input"];
  if (in.is_string()) return p(in.get<std::string>(), o);
  if (is_chat(in)) return p(chat_of(in), o);
  if (in.is_array() && !in.empty() && is_chat(in[0])) {
    std::vector<Chat> chats;
    for (const auto& x : in) chats.push_back(chat_of(x));
    return p(chats, o);
  }
  return p(in.get<std::vector<std::string>>(), o);
}

std::vector<std::string> names_of(const char* kind) {
  std::vector<std::string> names;
  for (const auto& c : goldens()["cases"])
    if (c["kind"] == kind) names.push_back(c["name"]);
  return names;
}

const json& case_named(const std::string& name) {
  for (const auto& c : goldens()["cases"])
    if (c["name"] == name) return c;
  throw std::runtime_error("no case " + name);
}

class GreedyGolden : public ::testing::TestWithParam<std::string> {};
class SampleGolden : public ::testing::TestWithParam<std::string> {};

std::string test_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string s = info.param;
  for (char& ch : s)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return s;
}

}  // namespace

TEST_P(GreedyGolden, EqualsTransformersJs) {
  const json& c = case_named(GetParam());
  if (c.contains("error")) {
    EXPECT_THROW(run_case(c, c["options"]), Error) << c["name"] << ": Transformers.js fails with " << c["error"];
    return;
  }
  const Output out = run_case(c, c["options"]);
  // A batch whose rows finish at different steps: each row as Transformers.js gives it alone (we pad finished
  // rows; Transformers.js 4.3.1 keeps generating for them, docs/generation.md).
  const json& want = c.contains("output_rows_alone") ? c["output_rows_alone"] : c["output"];
  EXPECT_EQ(json::parse(out.to_json()), want) << c["name"] << (c.contains("note") ? " — " + c["note"].get<std::string>() : "");
}

TEST_P(SampleGolden, SeededSamplesEqualTransformersJs) {
  const json& c = case_named(GetParam());
  json options = c["options"];
  options["seed"] = c["seed"];
  const Output first = run_case(c, options);
  EXPECT_EQ(json::parse(first.to_json()), c["output"]) << c["name"];
  EXPECT_EQ(run_case(c, options).to_json(), first.to_json()) << "the same seed gives the same samples";
}

INSTANTIATE_TEST_SUITE_P(Generation, GreedyGolden, ::testing::ValuesIn(names_of("greedy")), test_name);
INSTANTIATE_TEST_SUITE_P(Generation, SampleGolden, ::testing::ValuesIn(names_of("sample")), test_name);

// The first sampled token over many seeds follows the processed softmax Transformers.js computes (the golden
// distribution). 3,000 seeded one-token calls per case: each outcome's frequency is within 4 standard
// deviations (+0.005) of its probability and the total variation distance is below 0.05 — a sampler that
// ignored temperature, top_k or a processor fails (those change the golden distributions by more). Outcomes
// are the decoded token texts (two tokens decoding alike are one outcome, their probabilities added).
TEST(SamplingDistribution, FirstTokenFrequenciesMatchTheProcessedSoftmax) {
  constexpr int kDraws = 3000;
  int checked = 0;
  for (const auto& c : goldens()["cases"]) {
    if (c["kind"] != "distribution" || c["step"] != 1) continue;
    ++checked;
    const std::string task = c["task"];
    const std::filesystem::path folder = fixtures::model(c["model"].get<std::string>().c_str());
    const Tokenizer tok = Tokenizer::from_files(folder / "tokenizer.json", folder / "tokenizer_config.json");
    Pipeline& p = pipeline_for(task, c["model"]);
    const json& d = c["distribution"];
    std::map<std::string, double> expected;
    for (size_t i = 0; i < d["token_ids"].size(); ++i)
      expected[tok.decode({d["token_ids"][i].get<int64_t>()}, true)] += d["probs"][i].get<double>();
    json options = c["options"];
    // One token; an encoder-decoder gets two, as its forced_eos_token_id would force an eos at max_length - 1.
    options["max_new_tokens"] = task == "text-generation" ? 1 : 2;
    if (task == "text-generation") options["return_full_text"] = false;
    std::map<std::string, int> count;
    for (int s = 0; s < kDraws; ++s) {
      options["seed"] = s;
      const json out = json::parse(p(c["input"].get<std::string>(), call_options_from_json(task, options.dump())).to_json());
      const json& first = task == "text-generation" ? out[0]["generated_text"] : out[0]["translation_text"];
      ++count[first.get<std::string>()];
    }
    // Total variation over the outcomes of probability >= 0.01, the rest as one (with top_k 0 the whole
    // vocabulary's tail would be all sampling noise at this many draws).
    double tv = 0, rest_expected = 0, rest_seen = 0;
    for (const auto& [text, pr] : expected) {
      const double f = static_cast<double>(count[text]) / kDraws;
      if (pr >= 0.01) tv += std::abs(f - pr) / 2;
      else rest_expected += pr, rest_seen += f;
      EXPECT_LE(std::abs(f - pr), 4 * std::sqrt(pr * (1 - pr) / kDraws) + 0.005)
          << c["name"] << ": outcome '" << text << "' p=" << pr << " frequency " << f;
    }
    for (const auto& [text, n] : count)
      if (!expected.count(text)) tv += static_cast<double>(n) / kDraws / 2;  // drawn, yet outside the top-k
    tv += std::abs(rest_seen - rest_expected) / 2;
    EXPECT_LT(tv, 0.05) << c["name"];
  }
  EXPECT_EQ(checked, 7);
}
