// Generation under a pipeline manager's budget: concurrent calls that together need about three times what
// the budget leaves for working memory. Our allocator never holds more than the limit, the calls that do
// not fit fail with BudgetExceededError, the others give the single-threaded answer, and the pipeline goes
// on.
#include <gtest/gtest.h>

#include <atomic>
#include <latch>
#include <thread>

#include "test_support.hpp"
#include "transformers/pipeline_manager.hpp"

using namespace transformers;

TEST(GenerationBudget, CallsNeedingThreeTimesTheBudgetNeverExceedItAndFailCleanly) {
  const auto model = fixtures::model("tiny-llama");
  TextGenerationOptions o;
  o.generation.max_new_tokens = 600;
  o.generation.min_new_tokens = 600;
  const std::string prompt = "Once upon a time";
  // One call's working memory, measured alone.
  std::string reference;
  uint64_t one_call = 0;
  {
    Pipeline p = pipeline("text-generation", model);
    p(prompt, o);  // ONNX Runtime's first-run buffers
    reset_allocator_peak();
    const uint64_t idle = allocator_stats().in_use;
    reference = p(prompt, o).to_json();
    one_call = allocator_stats().peak_in_use - idle;
  }
  ASSERT_GT(one_call, 600u * 512u * 2u) << "the cache alone is 600 positions x 512 bytes x 2 buffers";

  ManagerOptions mo;
  PipelineManager sizing;  // what the pipeline itself accounts (weights)
  const uint64_t load = sizing.estimate_load_bytes(model, {});
  // What the process already holds counts against the budget too (other tests' pipelines in this binary).
  mo.budget_bytes = allocator_stats().in_use + load + one_call * 3 / 2;  // three calls at once need twice what is left
  sizing.evict_idle(true);
  PipelineManager manager(mo);
  auto p = manager.get_or_load("text-generation", model);
  p->operator()(prompt, o);
  const uint64_t limit = allocator_options().limit_bytes;
  ASSERT_GT(limit, 0u);
  reset_allocator_peak();
  std::atomic<int> ok{0}, refused{0}, wrong{0};
  std::vector<std::thread> threads;
  std::latch start(3);  // the three begin together, so their calls overlap
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&] {
      start.arrive_and_wait();
      for (int i = 0; i < 4; ++i) {
        try {
          if (p->operator()(prompt, o).to_json() == reference) ++ok;
          else ++wrong;
        } catch (const BudgetExceededError&) {
          ++refused;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_LE(allocator_stats().peak_in_use, limit) << "the allocator held more than the budget allows";
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_GT(refused.load(), 0) << "three calls at once should not all fit";
  EXPECT_GT(ok.load(), 0);
  EXPECT_EQ(p->operator()(prompt, o).to_json(), reference) << "the pipeline goes on after refusals";
  std::printf("12 calls: %d answered, %d refused; limit %llu bytes, peak %llu\n", ok.load(), refused.load(),
              static_cast<unsigned long long>(limit), static_cast<unsigned long long>(allocator_stats().peak_in_use));
}
