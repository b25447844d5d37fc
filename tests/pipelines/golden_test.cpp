// Every case in tests/fixtures/golden/pipelines.json (written by Transformers.js, see
// tools/golden/pipeline_goldens.mjs) must give the same labels and, within 1e-4, the same scores and tensors.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "core/files.hpp"
#include "test_support.hpp"
#include "transformers/pipeline.hpp"

using namespace transformers;
using nlohmann::json;

namespace {
constexpr double kTolerance = 1e-4;

const json& load_goldens() {
  static const json g =
      json::parse(core::read_text_file(fixtures::root() / "golden" / "pipelines.json", "golden file"));
  return g;
}

CallOptions options_from(const json& o) {
  CallOptions c;
  if (o.contains("top_k")) {
    if (o["top_k"].is_null()) c.top_k = std::nullopt;
    else c.top_k = o["top_k"].get<int>();
  }
  if (o.contains("pooling")) {
    const auto p = o["pooling"].get<std::string>();
    c.pooling = p == "mean" ? Pooling::mean : p == "cls" ? Pooling::cls : p == "none" ? Pooling::none : Pooling::last_token;
  }
  if (o.contains("normalize")) c.normalize = o["normalize"].get<bool>();
  return c;
}

// Compares labels exactly and numbers within the tolerance, walking both JSON trees.
void expect_same(const json& want, const json& got, const std::string& path) {
  if (want.is_number()) {
    ASSERT_TRUE(got.is_number()) << path;
    EXPECT_NEAR(want.get<double>(), got.get<double>(), kTolerance) << path;
  } else if (want.is_array()) {
    ASSERT_TRUE(got.is_array()) << path;
    ASSERT_EQ(want.size(), got.size()) << path;
    for (size_t i = 0; i < want.size(); ++i) expect_same(want[i], got[i], path + "[" + std::to_string(i) + "]");
  } else if (want.is_object()) {
    ASSERT_TRUE(got.is_object()) << path;
    ASSERT_EQ(want.size(), got.size()) << path;
    for (const auto& [k, v] : want.items()) {
      ASSERT_TRUE(got.contains(k)) << path << "." << k;
      expect_same(v, got[k], path + "." + k);
    }
  } else {
    EXPECT_EQ(want, got) << path;
  }
}

class PipelineGolden : public ::testing::TestWithParam<size_t> {
 protected:
  static void SetUpTestSuite() { goldens_ = &load_goldens(); }
  static void TearDownTestSuite() {
    pipelines_.clear();
  }
  // One pipeline per (task, model), shared across cases, as a long-running program would.
  static Pipeline& pipeline_for(const std::string& task, const std::string& model, const std::string& dtype) {
    const std::string key = task + "|" + model + "|" + dtype;
    auto it = pipelines_.find(key);
    if (it == pipelines_.end()) {
      PipelineOptions o;
      o.dtype = dtype;
      it = pipelines_.emplace(key, pipeline(task, fixtures::model(model.c_str()), o)).first;
    }
    return it->second;
  }
  static const json* goldens_;
  static std::map<std::string, Pipeline> pipelines_;
};
const json* PipelineGolden::goldens_ = nullptr;
std::map<std::string, Pipeline> PipelineGolden::pipelines_;

size_t case_count() { return load_goldens()["cases"].size(); }
}  // namespace

TEST_P(PipelineGolden, MatchesTransformersJs) {
  const json& c = (*goldens_)["cases"][GetParam()];
  SCOPED_TRACE(c["name"].get<std::string>());
  Pipeline& p = pipeline_for(c["task"], c["model"], c.value("dtype", std::string("fp32")));
  const CallOptions options = options_from(c.value("options", json::object()));
  const Output out = c["input"].is_array() ? p(c["input"].get<std::vector<std::string>>(), options)
                                           : p(c["input"].get<std::string>(), options);
  expect_same(c["output"], json::parse(out.to_json()), "output");
}

INSTANTIATE_TEST_SUITE_P(Goldens, PipelineGolden, ::testing::Range<size_t>(0, case_count()),
                         [](const ::testing::TestParamInfo<size_t>& info) {
                           std::string name = load_goldens()["cases"][info.param]["name"];
                           for (char& ch : name)
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return name + "_" + std::to_string(info.param);
                         });

TEST(GoldenFile, HasCasesForBothTasks) {
  const json& g = load_goldens();
  size_t cls = 0, fe = 0;
  for (const auto& c : g["cases"]) {
    cls += c["task"] == "text-classification";
    fe += c["task"] == "feature-extraction";
  }
  EXPECT_GE(cls, 10u);
  EXPECT_GE(fe, 6u);
}
