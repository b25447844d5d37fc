// dispose() gives memory back to the OS: asserted on /proc figures, not on our counters.
#include <gtest/gtest.h>

#include <fstream>

#include "test_support.hpp"
#include "transformers/memory.hpp"
#include "transformers/pipeline.hpp"

using namespace transformers;

namespace {
constexpr double kMiB = 1024.0 * 1024.0;
// 16 x 512 tokens: attention scores alone are 16 x 2 heads x 512 x 512 floats (32 MiB) per layer, so the
// working memory dwarfs the tiny weights and a pipeline that kept it would fail the assertions.
std::vector<std::string> big_batch() {
  std::string text;
  for (int i = 0; i < 600; ++i) text += i ? " word" : "word";
  return std::vector<std::string>(16, text);
}
void cycle(const std::filesystem::path& model) {
  Pipeline p = pipeline("text-classification", model);
  p(big_batch());
  p.dispose();
}
}  // namespace

TEST(DisposeMemory, RssReturnsToBaselineAfterDispose) {
  SKIP_RSS_UNDER_ASAN();
  const auto model = fixtures::model("tiny-bert-sentiment");
  cycle(model);  // once: ONNX Runtime's one-time global state (kernel registries, thread pool) appears here
  trim();
  const ProcessMemory baseline = process_memory();
  std::ofstream("/proc/self/clear_refs") << "5";  // resets VmHWM, so it shows this run's peak
  Pipeline p = pipeline("text-classification", model);
  p(big_batch());
  const ProcessMemory loaded = process_memory();
  p.dispose();  // immediate policy (the default)
  const ProcessMemory after = process_memory();
  std::cout << "[ rss MiB  ] baseline " << baseline.rss / kMiB << ", peak during the run " << loaded.vm_hwm / kMiB
            << ", after the run " << loaded.rss / kMiB << ", disposed " << after.rss / kMiB << "\n";
  EXPECT_GT(static_cast<double>(loaded.vm_hwm), static_cast<double>(baseline.rss) + 32 * kMiB)
      << "the run must have used real working memory for this test to mean anything";
  EXPECT_LT(static_cast<double>(after.rss), static_cast<double>(baseline.rss) + 8 * kMiB);
}

TEST(DisposeMemory, TwentyCyclesDoNotGrowAnonymousMemory) {
  SKIP_RSS_UNDER_ASAN();
  const auto model = fixtures::model("tiny-bert-sentiment");
  cycle(model);
  cycle(model);
  const ProcessMemory start = process_memory();
  for (int i = 0; i < 20; ++i) cycle(model);
  const ProcessMemory end = process_memory();
  const double growth = (static_cast<double>(end.rss_anon) - static_cast<double>(start.rss_anon)) / kMiB;
  std::cout << "[ rss MiB  ] RssAnon growth over 20 create/run/dispose cycles: " << growth << "\n";
  EXPECT_LT(growth, 4.0);
}

// The same for a generation pipeline: 16 prompts x 1,500 new tokens make a 23.5 MiB key/value cache
// (tiny-llama: 512 bytes a position per row, two buffers) on top of ONNX Runtime's working memory, which grows
// with the past every step; dispose gives it all back. (Before the allocator bounded what an owner retains,
// this case reached a 15.8 GB RSS at 2,000 tokens.)
TEST(DisposeMemory, AGenerationPipelineGivesItsCacheBack) {
  SKIP_RSS_UNDER_ASAN();
  const auto model = fixtures::model("tiny-llama");
  TextGenerationOptions o;
  o.generation.max_new_tokens = 1500;
  o.generation.min_new_tokens = 1500;
  const std::vector<std::string> prompts(16, "Once upon a time");
  auto run = [&] {
    Pipeline p = pipeline("text-generation", model);
    p(prompts, o);
    p.dispose();
  };
  run();
  trim();
  const ProcessMemory baseline = process_memory();
  std::ofstream("/proc/self/clear_refs") << "5";
  Pipeline p = pipeline("text-generation", model);
  const Output out = p(prompts, o);
  const ProcessMemory loaded = process_memory();
  p.dispose();
  const ProcessMemory after = process_memory();
  std::cout << "[ rss MiB  ] baseline " << baseline.rss / kMiB << ", peak during generation " << loaded.vm_hwm / kMiB
            << ", cache " << out.generation_stats()->cache_bytes / kMiB << ", disposed " << after.rss / kMiB << "\n";
  EXPECT_GT(static_cast<double>(loaded.vm_hwm), static_cast<double>(baseline.rss) + 20 * kMiB)
      << "the cache must have been resident for this test to mean anything";
  EXPECT_LT(static_cast<double>(after.rss), static_cast<double>(baseline.rss) + 8 * kMiB);
  // What ONNX Runtime's growing intermediates may add on top of the cache while generating is bounded too.
  EXPECT_LT(static_cast<double>(loaded.vm_hwm), static_cast<double>(baseline.rss) + 8 * out.generation_stats()->cache_bytes);
}
