// Beam search against the independent reference tools/golden/beam_ref.py (Hugging Face transformers 4.46's
// semantics over the torch modules the fixtures were exported from; tests/fixtures/golden/beam.json): every
// case's returned sequences, through the pipeline, from the same prompt as the greedy case it names.
#include <gtest/gtest.h>

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

const json& beam_goldens() {
  static const json g = json::parse(core::read_text_file(fixtures::root() / "golden" / "beam.json", "golden file"));
  return g;
}
const json& generation_case(const std::string& name) {
  static const json g =
      json::parse(core::read_text_file(fixtures::root() / "golden" / "generation.json", "golden file"));
  for (const auto& c : g["cases"])
    if (c["name"] == name) return c;
  throw std::runtime_error("no generation case " + name);
}

std::vector<std::string> case_names() {
  std::vector<std::string> names;
  for (const auto& c : beam_goldens()["cases"]) names.push_back(c["name"]);
  return names;
}

class BeamGolden : public ::testing::TestWithParam<std::string> {};

}  // namespace

TEST_P(BeamGolden, EqualsTheReference) {
  const json* found = nullptr;
  for (const auto& c : beam_goldens()["cases"])
    if (c["name"] == GetParam()) found = &c;
  const json& c = *found;
  const json& source = generation_case(c["prompt_from"]);
  const std::string model = c["model"], task = source["task"];
  const auto folder = fixtures::model(model.c_str());
  Pipeline& p = fixtures::cached_pipeline(task, model);
  const Tokenizer tok = Tokenizer::from_files(folder / "tokenizer.json", folder / "tokenizer_config.json");
  const CallOptions options = call_options_from_json(task, c["options"].dump());
  const json& in = source["input"];
  const Output out = in.is_string() ? p(in.get<std::string>(), options)
                                    : p(in.get<std::vector<std::string>>(), options);
  const json got = json::parse(out.to_json());
  // What the reference's sequences decode to, in the pipeline's shape.
  const json& seqs = c["sequences"];
  for (size_t row = 0; row < seqs.size(); ++row) {
    for (size_t j = 0; j < seqs[row].size(); ++j) {
      std::vector<int64_t> ids = c.contains("decoder_start_ids") ? c["decoder_start_ids"][row].get<std::vector<int64_t>>()
                                                                  : c["prompt_ids"][row].get<std::vector<int64_t>>();
      for (const auto& t : seqs[row][j]) ids.push_back(t);
      const std::string expected = tok.decode(ids, true);
      if (task == "text-generation") {
        const json& entry = in.is_string() ? got[j] : got[row][j];
        EXPECT_EQ(entry["generated_text"], expected) << c["name"] << " row " << row << " sequence " << j;
      } else {
        const char* key = task == "translation" ? "translation_text" : task == "summarization" ? "summary_text" : "generated_text";
        EXPECT_EQ(got[row * seqs[row].size() + j][key], expected) << c["name"] << " row " << row << " sequence " << j;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(BeamSearch, BeamGolden, ::testing::ValuesIn(case_names()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string s = info.param;
                           for (char& ch : s)
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return s;
                         });
