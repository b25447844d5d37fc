// The articles' scenario (docs/seed-scenario.md) on the trained transliteration model, through a thread
// and a process worker: load the translation pipeline, transliterate 20 held-out words (checked against
// ICU's Russian-Latin/BGN, tests/fixtures/translit/held_out.tsv), dispose, load text-classification,
// classify, dispose, terminate — with the memory figures of docs/seed-scenario.md: under `immediate` the
// dispose gives the memory back (the dispose tests' 8 MiB), under `deferred` the second load reuses the
// first's freed blocks and the idle period returns them, and a terminated process worker leaves the host
// within 4 MiB of its start.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "test_support.hpp"
#include "transformers/transformers.hpp"
#include "transformers/worker.hpp"

namespace tf = transformers;

namespace {

const std::filesystem::path kTranslit = tf::fixtures::model("translit-ru-latn");
const std::filesystem::path kClassifier = tf::fixtures::model("tiny-bert-sentiment");
constexpr uint64_t kMiB = 1u << 20;

tf::WorkerOptions options_of(tf::WorkerKind kind, tf::ReleasePolicy policy) {
  tf::WorkerOptions o;
  o.kind = kind;
  o.executable = TRANSFORMERS_CLI_PATH;
  o.release_policy = policy;
  return o;
}

// Load, transliterate 20 held-out words (each as ICU writes it), dispose.
void transliterate(tf::Worker& w) {
  const auto pairs = tf::fixtures::translit_held_out(20);
  ASSERT_EQ(pairs.size(), 20u);
  tf::WorkerCall call;
  call.task = "translation";
  call.model = kTranslit;
  for (const auto& [word, _] : pairs) call.inputs.push_back(word);
  w.load(call.task, call.model).get();
  const tf::Output out = w.submit(call).get();
  const auto& texts = out.get<tf::TranslationResult>().inputs;
  ASSERT_EQ(texts.size(), pairs.size());
  for (size_t i = 0; i < pairs.size(); ++i) EXPECT_EQ(texts[i].at(0), pairs[i].second) << pairs[i].first;
}

// 16 long texts: working memory in blocks large enough to be served from what the translation freed.
void classify(tf::Worker& w) {
  tf::WorkerCall call;
  call.task = "text-classification";
  call.model = kClassifier;
  std::string text;
  for (int i = 0; i < 40; ++i) text += "the memory that was freed can be used again ";
  call.inputs.assign(16, text);
  w.load(call.task, call.model).get();
  const tf::Output out = w.submit(call).get();
  EXPECT_EQ(out.labels().size(), 16u);
}

// ONNX Runtime's first use in a process stays for the process's life (its environment, thread pool, kernel
// registry): not a pipeline's memory. A feature-extraction pipeline on another model, loaded and disposed.
void warm_up(tf::Worker& w) {
  const auto embedder = tf::fixtures::model("tiny-bert-embedder");
  tf::WorkerCall call;
  call.task = "feature-extraction";
  call.model = embedder;
  call.inputs = {"warm up"};
  w.submit(call).get();
  ASSERT_TRUE(w.unload(call.task, embedder).get());
}

uint64_t pipelines_in_use(const tf::MemoryReport& r) {
  uint64_t n = 0;
  for (const auto& p : r.pipelines) n += p.in_use;
  return n;
}

class SeedScenario : public ::testing::TestWithParam<tf::WorkerKind> {};

}  // namespace

// Immediate: each dispose returns the memory; terminate returns the worker.
TEST_P(SeedScenario, ImmediateGivesEachPipelinesMemoryBack) {
  const tf::WorkerKind kind = GetParam();
  if (kind == tf::WorkerKind::thread) {  // the host process's ONNX Runtime start, before the baseline
    auto warm = tf::make_worker(options_of(kind, tf::ReleasePolicy::immediate()));
    warm_up(*warm);
    warm->terminate();
  }
  const uint64_t host_before = tf::process_memory().rss;
  auto w = tf::make_worker(options_of(kind, tf::ReleasePolicy::immediate()));
  if (kind == tf::WorkerKind::process) warm_up(*w);  // the child's
  const uint64_t started = w->memory_report().process.rss;
  transliterate(*w);
  const tf::MemoryReport loaded = w->memory_report();
  EXPECT_EQ(loaded.pipelines.size(), 1u);
  ASSERT_TRUE(w->unload("translation", kTranslit).get());
  const tf::MemoryReport disposed = w->memory_report();
  EXPECT_TRUE(disposed.pipelines.empty());
  EXPECT_EQ(disposed.mapped_weights_bytes, 0u) << "the weights' mapping is gone with the pipeline";
  classify(*w);
  ASSERT_TRUE(w->unload("text-classification", kClassifier).get());
  const tf::MemoryReport second = w->memory_report();
  EXPECT_TRUE(second.pipelines.empty());
  w->terminate();
  const uint64_t host_after = tf::process_memory().rss;
#if TRANSFORMERS_RSS_ASSERTIONS
  std::cout << "[ rss MiB  ] " << tf::to_string(kind) << " worker: started " << started / kMiB << ", loaded "
            << loaded.process.rss / kMiB << ", disposed " << disposed.process.rss / kMiB << ", second disposed "
            << second.process.rss / kMiB << "; host " << host_before / kMiB << " -> " << host_after / kMiB << "\n";
  EXPECT_LT(disposed.process.rss, started + 8 * kMiB);
  EXPECT_LT(second.process.rss, started + 8 * kMiB);
  EXPECT_LT(host_after, host_before + (kind == tf::WorkerKind::process ? 4 : 8) * kMiB);
#endif
}

// Deferred: the classifier's load reuses blocks the translation pipeline freed; after the idle period
// the allocator holds nothing cached.
TEST_P(SeedScenario, DeferredReusesTheFirstPipelinesMemoryThenReturnsIt) {
  auto w = tf::make_worker(options_of(GetParam(), tf::ReleasePolicy::deferred(300)));
  transliterate(*w);
  ASSERT_TRUE(w->unload("translation", kTranslit).get());
  const tf::MemoryReport disposed = w->memory_report();
  EXPECT_GT(disposed.allocator.cached, 0u) << "deferred keeps the freed blocks for reuse";
  classify(*w);
  const tf::MemoryReport second = w->memory_report();
  EXPECT_GT(second.allocator.cache_hits, disposed.allocator.cache_hits) << "the second pipeline reused freed blocks";
  ASSERT_TRUE(w->unload("text-classification", kClassifier).get());
  std::this_thread::sleep_for(std::chrono::milliseconds(900));
  const tf::MemoryReport idle = w->memory_report();
  EXPECT_EQ(idle.allocator.cached, 0u) << "the idle period returned the cached blocks";
  EXPECT_EQ(pipelines_in_use(idle), 0u);
  w->terminate();
}

INSTANTIATE_TEST_SUITE_P(Kinds, SeedScenario, ::testing::Values(tf::WorkerKind::thread, tf::WorkerKind::process),
                         [](const auto& info) { return std::string(tf::to_string(info.param)); });
