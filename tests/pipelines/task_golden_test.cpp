// Every case in tests/fixtures/golden/tasks.json: token-classification, fill-mask, question-answering,
// zero-shot-classification and text-classification of sentence pairs, written by Transformers.js 4.3.1
// (tools/golden/task_goldens.mjs), plus the aggregation strategies Transformers.js refuses (first, average,
// max), written by the independent reference tools/golden/aggregation_ref.py in Hugging Face Python's
// shape. Labels, words, tokens and answers exactly; scores within 1e-4; our start/end offsets are the one
// addition to Transformers.js' objects and are checked against the text itself.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "core/files.hpp"
#include "pipelines/json_compare.hpp"
#include "pipeline_cache.hpp"
#include "test_support.hpp"
#include "transformers/pipeline.hpp"

using namespace transformers;
using nlohmann::json;

namespace {

const json& goldens() {
  static const json g = json::parse(core::read_text_file(fixtures::root() / "golden" / "tasks.json", "golden file"));
  return g;
}

Pipeline& pipeline_for(const std::string& task, const std::string& model) {
  return fixtures::cached_pipeline(task, model);
}

std::vector<std::string> strings(const json& j) {
  return j.is_array() ? j.get<std::vector<std::string>>() : std::vector<std::string>{j.get<std::string>()};
}

// The case's call, made as a C++ user makes it: options through the JSON entry point (zero-shot's candidate
// labels are an option here, a second argument in Transformers.js), inputs as texts or TextPairs.
Output run_case(const json& c) {
  const std::string task = c["task"];
  Pipeline& p = pipeline_for(task, c["model"]);
  json options = c["options"];
  const json& in = c["input"];
  if (task == "zero-shot-classification") {
    options["candidate_labels"] = strings(in["candidate_labels"]);
    const CallOptions o = call_options_from_json(task, options.dump());
    if (in["texts"].is_array()) return p(strings(in["texts"]), o);
    return p(in["texts"].get<std::string>(), o);
  }
  const CallOptions o = call_options_from_json(task, options.dump());
  if (task == "question-answering") {
    if (!in["question"].is_array()) return p(TextPair{in["question"], in["context"]}, o);
    std::vector<TextPair> pairs;
    for (size_t i = 0; i < in["question"].size(); ++i) pairs.push_back({in["question"][i], in["context"][i]});
    return p(pairs, o);
  }
  if (in.is_object()) return p(TextPair{in["text"], in["text_pair"]}, o);
  if (in.is_array() && !in.empty() && in[0].is_object()) {
    std::vector<TextPair> pairs;
    for (const auto& x : in) pairs.push_back({x["text"], x["text_pair"]});
    return p(pairs, o);
  }
  if (in.is_array()) return p(in.get<std::vector<std::string>>(), o);
  return p(in.get<std::string>(), o);
}

// Our offsets select the entity's or answer's own characters. The fixtures' tokenizer lowercases and
// strips accents, and Transformers.js' groups leave out the ignored tokens between their first and last
// token, so for an ASCII word: its letters ("##" aside) in order within the span's, the first one first.
std::string letters_of(const std::string& s) {
  std::string out;
  for (char ch : s)
    if (ch != '#' && ch != ' ') out += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

size_t code_points(const std::string& s) {
  size_t n = 0;
  for (unsigned char ch : s) n += (ch & 0xC0) != 0x80;
  return n;
}

void expect_offsets_in(const json& item, const std::string& text, const std::string& path) {
  const int64_t start = item["start"], end = item["end"];
  ASSERT_LE(0, start) << path;
  ASSERT_LE(start, end) << path;
  ASSERT_LE(static_cast<size_t>(end), code_points(text)) << path;
  const std::string word = item.contains("word") ? item["word"].get<std::string>() : item["answer"].get<std::string>();
  if (code_points(text) != text.size() || word.find("[UNK]") != std::string::npos) return;  // ASCII texts only
  const std::string span = letters_of(text.substr(static_cast<size_t>(start), static_cast<size_t>(end - start)));
  const std::string want = letters_of(word);
  if (want.empty()) return;
  EXPECT_EQ(span.substr(0, 1), want.substr(0, 1)) << path << ": '" << span << "' for '" << word << "'";
  size_t at = 0;
  for (char ch : want) at = span.find(ch, at) == std::string::npos ? std::string::npos : span.find(ch, at) + 1;
  EXPECT_NE(at, std::string::npos) << path << ": '" << span << "' does not hold '" << word << "'";
}

// Two kinds of case are not ours to match: Transformers.js refusing first/average/max (we implement them;
// the hf-* cases check them against the reference), and the reference's Hugging Face Python `simple`
// (O grouped, then dropped), there to cross-check the reference itself: our `simple` is Transformers.js'.
std::vector<size_t> cases_to_check() {
  std::vector<size_t> out;
  const json& cases = goldens()["cases"];
  for (size_t i = 0; i < cases.size(); ++i) {
    const std::string strategy = cases[i]["options"].value("aggregation_strategy", "");
    const bool python_only = strategy == "first" || strategy == "average" || strategy == "max";
    if (cases[i].contains("error") && python_only) continue;
    if (cases[i].contains("reference") && strategy == "simple") continue;
    out.push_back(i);
  }
  return out;
}

class TaskGolden : public ::testing::TestWithParam<size_t> {};

}  // namespace

TEST_P(TaskGolden, MatchesTheReference) {
  const json& c = goldens()["cases"][GetParam()];
  const std::string name = c["name"];
  SCOPED_TRACE(name);
  if (c.contains("error")) {
    EXPECT_THROW(run_case(c), InvalidInputError);
    return;
  }
  const Output out = run_case(c);
  const json got = json::parse(out.to_json());
  // The same call as JSON text (Pipeline::call_json, what a server hands over) gives the same result.
  {
    json options = c["options"];
    json inputs = c["input"];
    if (c["task"] == "zero-shot-classification") {
      options["candidate_labels"] = strings(inputs["candidate_labels"]);
      inputs = inputs["texts"];
    }
    EXPECT_EQ(pipeline_for(c["task"], c["model"]).call_json(inputs.dump(), options.dump()).to_json(), out.to_json());
  }
  // Hugging Face Python's shape carries start/end itself; Transformers.js' objects get them from us.
  const std::set<std::string> extra = c.contains("reference") ? std::set<std::string>{} : std::set<std::string>{"start", "end"};
  fixtures::expect_same_json(c["output"], got, "output", fixtures::kGoldenTolerance, extra);

  // The offsets we add, against the text they point into.
  const json& in = c["input"];
  const std::string task = c["task"];
  if (task == "token-classification") {
    const auto texts = strings(in);
    const json lists = in.is_array() ? got : json::array({got});
    for (size_t i = 0; i < texts.size(); ++i)
      for (size_t k = 0; k < lists[i].size(); ++k)
        expect_offsets_in(lists[i][k], texts[i], name + " input " + std::to_string(i) + " entity " + std::to_string(k));
  } else if (task == "question-answering") {
    const auto contexts = strings(in["context"]);
    json answers = json::array();
    if (in["question"].is_array()) {
      for (const auto& a : got) answers.push_back(a.is_array() ? a : json::array({a}));
    } else {
      answers.push_back(got.is_array() ? got : json::array({got}));
    }
    for (size_t i = 0; i < contexts.size(); ++i)
      for (const auto& a : answers[i]) expect_offsets_in(a, contexts[i], name + " answer");
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, TaskGolden, ::testing::ValuesIn(cases_to_check()),
                         [](const ::testing::TestParamInfo<size_t>& info) {
                           std::string n = goldens()["cases"][info.param]["name"];
                           for (char& ch : n)
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return n;
                         });
