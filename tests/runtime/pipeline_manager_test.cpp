#include <gtest/gtest.h>

#include "test_support.hpp"
#include "transformers/error.hpp"
#include "transformers/pipeline_manager.hpp"

using namespace transformers;

namespace {
struct Model {
  const char* name;
  const char* task;
  const char* dtype;
};
// Five distinct weight files.
const Model kModels[] = {{"tiny-bert-multilabel", "text-classification", "fp32"},
                         {"tiny-bert-3class-noproblem", "text-classification", "fp32"},
                         {"tiny-bert-embedder", "feature-extraction", "fp32"},
                         {"tiny-distilbert-embedder", "feature-extraction", "fp32"},
                         {"tiny-bert-sentiment", "text-classification", "q8"}};

PipelineOptions with_dtype(const char* dtype) {
  PipelineOptions o;
  o.dtype = dtype;
  return o;
}
// Room for the working memory of a tiny model (its session buffers and a short run).
constexpr uint64_t kHeadroom = 256u << 10;
uint64_t estimate(const PipelineManager& m, const Model& model) {
  return m.estimate_load_bytes(fixtures::model(model.name), with_dtype(model.dtype));
}
}  // namespace

// One key for the manager and the workers (pipelines/pipeline_key.hpp): the release policy is part of it,
// so asking for `immediate` after a `retain` load does not hand back the `retain` pipeline (issue 13), and
// "auto" shares with the dtype it resolves to.
TEST(PipelineManager, TheReleasePolicyIsPartOfTheKeyAndAutoSharesWithItsDtype) {
  PipelineManager m;
  PipelineOptions retain, immediate, fp32;
  retain.release_policy = ReleasePolicy::retain();
  immediate.release_policy = ReleasePolicy::immediate();
  fp32.dtype = "fp32";
  auto r = m.get_or_load("text-classification", fixtures::model("tiny-bert-sentiment"), retain);
  auto i = m.get_or_load("text-classification", fixtures::model("tiny-bert-sentiment"), immediate);
  EXPECT_NE(r, i);
  auto a = m.get_or_load("text-classification", fixtures::model("tiny-bert-sentiment"));
  auto f = m.get_or_load("text-classification", fixtures::model("tiny-bert-sentiment"), fp32);
  EXPECT_EQ(a, f);
}

TEST(PipelineManager, SharesOnePipelinePerKey) {
  PipelineManager m;
  auto a = m.get_or_load("sentiment-analysis", fixtures::model("tiny-bert-sentiment"));
  auto b = m.get_or_load("text-classification", fixtures::model("tiny-bert-sentiment"));
  auto q = m.get_or_load("text-classification", fixtures::model("tiny-bert-sentiment"), with_dtype("q8"));
  EXPECT_EQ(a, b);
  EXPECT_NE(a, q);
  ASSERT_EQ(m.pipelines().size(), 2u);
  const auto live = m.pipelines();  // most recently acquired first
  EXPECT_EQ(live[0].dtype, "q8");
  EXPECT_EQ(live[1].dtype, "fp32");
  EXPECT_EQ(live[1].holders, 2);
  m.get_or_load("text-classification", fixtures::model("tiny-bert-sentiment"));
  EXPECT_EQ(m.pipelines()[0].dtype, "fp32");
  EXPECT_GT(m.accounted_bytes(), 0u);
}

TEST(PipelineManager, EstimateIsTheWeightFile) {
  PipelineManager m;
  const auto onnx = fixtures::model("tiny-bert-embedder") / "onnx" / "model.onnx";
  EXPECT_EQ(estimate(m, kModels[2]), std::filesystem::file_size(onnx));
  auto p = m.get_or_load("feature-extraction", fixtures::model("tiny-bert-embedder"));
  EXPECT_EQ(p->footprint().weight_bytes, std::filesystem::file_size(onnx));
}

// An encoder-decoder folder has no onnx/model.onnx: the estimate is its two graphs, the footprint after the
// load the same, and the manager loads it (the articles' scenario under a budget, docs/seed-scenario.md).
TEST(PipelineManager, AnEncoderDecoderIsEstimatedByItsTwoGraphs) {
  PipelineManager m;
  const auto folder = fixtures::model("translit-ru-latn");
  const uint64_t both = std::filesystem::file_size(folder / "onnx" / "encoder_model.onnx") +
                        std::filesystem::file_size(folder / "onnx" / "decoder_model_merged.onnx");
  EXPECT_EQ(m.estimate_load_bytes("translation", folder, {}), both);
  auto p = m.get_or_load("translation", folder);
  EXPECT_EQ(p->footprint().weight_bytes, both);
  EXPECT_LT(m.estimate_load_bytes("translation", folder, with_dtype("q8")), both / 2);
  EXPECT_THROW(m.estimate_load_bytes(folder, {}), ModelLoadError) << "a single-graph estimate names model.onnx";
}

TEST(PipelineManager, RunsATranslationPipelineUnderABudget) {
  const auto translit = fixtures::model("translit-ru-latn");
  PipelineManager sizing;
  const uint64_t weights = sizing.estimate_load_bytes("translation", translit, {});
  PipelineManager m({.budget_bytes = weights + (8u << 20)});  // + its working memory (key/value cache)
  auto t = m.get_or_load("translation", translit);
  EXPECT_EQ((*t)("Москва").to_json(), R"([{"translation_text":"Moskva"}])");
  EXPECT_GE(m.accounted_bytes(), weights);
  EXPECT_LE(m.accounted_bytes(), m.budget_bytes());
}

TEST(PipelineManager, BudgetEvictsLeastRecentlyUsedOneAtATime) {
  PipelineManager sizing;
  uint64_t total = 0, largest_pair = 0;
  std::vector<uint64_t> sizes;
  for (const auto& m : kModels) sizes.push_back(estimate(sizing, m));
  for (size_t i = 0; i < sizes.size(); ++i) {
    total += sizes[i];
    for (size_t j = i + 1; j < sizes.size(); ++j) largest_pair = std::max(largest_pair, sizes[i] + sizes[j]);
  }
  // Any two models fit with their working memory, never three; together the five need about 2.5x the budget.
  const uint64_t budget = largest_pair + kHeadroom;
  ASSERT_GT(total, 2 * budget);
  PipelineManager m({.budget_bytes = budget});
  std::vector<std::string> loaded_order;
  for (const auto& model : kModels) {
    const uint64_t evictions_before = m.evictions();
    auto p = m.get_or_load(model.task, fixtures::model(model.name), with_dtype(model.dtype));
    EXPECT_LE(m.accounted_bytes(), budget) << model.name;
    // Working memory is capped too: weights + the allocator's peak over a run (every allocation is
    // sampled by the peak) stay within the budget.
    reset_allocator_peak();
    (*p)(std::vector<std::string>(4, "some words to classify or embed"));
    const uint64_t weights = m.accounted_bytes() - allocator_stats().in_use;
    EXPECT_LE(weights + allocator_stats().peak_in_use, budget) << model.name;
    EXPECT_LE(m.evictions() - evictions_before, 1u) << "one eviction makes room for one small model";
    loaded_order.push_back(model.name);
    // Survivors are always the most recently loaded ones: least recently used went first.
    const auto live = m.pipelines();
    ASSERT_LE(live.size(), 2u);
    for (size_t i = 0; i < live.size(); ++i) {
      EXPECT_EQ(live[i].model.filename().string(), loaded_order[loaded_order.size() - 1 - i]);
    }
  }
  EXPECT_EQ(m.evictions(), 3u);
}

TEST(PipelineManager, PinnedAndHeldPipelinesSurviveAndARefusalStatesTheNumbers) {
  PipelineManager sizing;
  const uint64_t budget = estimate(sizing, kModels[0]) + estimate(sizing, kModels[1]) + kHeadroom;
  PipelineManager m({.budget_bytes = budget});
  auto pinned = m.get_or_load(kModels[0].task, fixtures::model(kModels[0].name), {}, /*pin=*/true);
  pinned.reset();  // idle, but pinned
  auto held = m.get_or_load(kModels[1].task, fixtures::model(kModels[1].name));
  try {
    m.get_or_load(kModels[2].task, fixtures::model(kModels[2].name));
    FAIL() << "expected BudgetExceededError";
  } catch (const BudgetExceededError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("needs " + std::to_string(estimate(sizing, kModels[2])) + " bytes"), std::string::npos) << msg;
    EXPECT_NE(msg.find("but only "), std::string::npos) << msg;
    EXPECT_NE(msg.find("tiny-bert-embedder"), std::string::npos) << msg;
  }
  EXPECT_EQ(m.pipelines().size(), 2u);
  EXPECT_EQ(held->task(), "text-classification");  // the refusal disposed nothing
  held.reset();
  auto third = m.get_or_load(kModels[2].task, fixtures::model(kModels[2].name));
  const auto live = m.pipelines();
  ASSERT_EQ(live.size(), 2u);
  EXPECT_TRUE(live[1].pinned);
  EXPECT_EQ(live[1].model.filename(), kModels[0].name);
}

TEST(PipelineManager, EvictDisposesIdlePipelinesOnly) {
  PipelineManager m;
  auto p = m.get_or_load("text-classification", fixtures::model("tiny-bert-sentiment"));
  auto other_holder = p;
  EXPECT_FALSE(m.evict(p));
  other_holder.reset();
  EXPECT_TRUE(m.evict(p));
  EXPECT_TRUE(p->disposed());
  EXPECT_THROW((*p)("hello"), DisposedError);
  EXPECT_EQ(m.pipelines().size(), 0u);
  auto again = m.get_or_load("text-classification", fixtures::model("tiny-bert-sentiment"));
  EXPECT_NE(again, p);
  EXPECT_EQ((*again)("hello").labels().size(), 1u);
  again.reset();
  EXPECT_EQ(m.evict_idle(), 1u);
}

TEST(PipelineManager, WorkingMemoryOverTheBudgetIsRefusedAndTheProcessGoesOn) {
  PipelineManager sizing;
  const Model& model = kModels[0];
  // Room for the weights and the session's own buffers, not for a 16 x 128-token batch.
  PipelineManager m({.budget_bytes = estimate(sizing, model) + (200u << 10)});
  auto p = m.get_or_load(model.task, fixtures::model(model.name));
  std::string text;
  for (int i = 0; i < 126; ++i) text += "word ";
  const std::vector<std::string> batch(16, text);
  try {
    (*p)(batch);
    FAIL() << "expected BudgetExceededError";
  } catch (const BudgetExceededError& e) {
    EXPECT_NE(std::string(e.what()).find("over the limit"), std::string::npos) << e.what();
  }
  EXPECT_GT(allocator_stats().refused, 0u);
  m.set_budget_bytes(0);  // lift the cap: the same pipeline works
  EXPECT_EQ((*p)(batch).labels().size(), 16u);
}

TEST(PipelineManager, FiveModelsNeedingThreeTimesTheBudgetLoadInTurn) {
  PipelineManager sizing;
  uint64_t total = 0, largest = 0;
  for (const auto& model : kModels) {
    total += estimate(sizing, model);
    largest = std::max(largest, estimate(sizing, model));
  }
  const uint64_t budget = largest + kHeadroom;  // one model at a time
  ASSERT_GE(total, 3 * budget);
  PipelineManager m({.budget_bytes = budget});
  for (const auto& model : kModels) {
    reset_allocator_peak();
    auto p = m.get_or_load(model.task, fixtures::model(model.name), with_dtype(model.dtype));
    (*p)(std::vector<std::string>(2, "a short text"));
    const uint64_t weights = m.accounted_bytes() - allocator_stats().in_use;
    EXPECT_LE(weights + allocator_stats().peak_in_use, budget) << model.name;
    ASSERT_EQ(m.pipelines().size(), 1u);
    EXPECT_EQ(m.pipelines()[0].model.filename(), model.name);
  }
  EXPECT_EQ(m.evictions(), 4u);
}
