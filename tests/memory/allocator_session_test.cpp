// ONNX Runtime really allocates through our allocator, charged to the right owner, with unchanged answers.
#include <gtest/gtest.h>

#include <cstring>
#include <iostream>
#include <thread>

#include "test_support.hpp"
#include "transformers/memory.hpp"
#include "transformers/pipeline.hpp"

using namespace transformers;

namespace {
const char* kText = "I love this movie, it was wonderful.";

Pipeline classifier(uint64_t owner) {
  PipelineOptions o;
  o.session.memory_owner = owner;
  return pipeline("text-classification", fixtures::model("tiny-bert-sentiment"), o);
}

std::vector<float> all_scores(const Pipeline& p) {
  TextClassificationOptions c;
  c.top_k = std::nullopt;
  std::vector<float> v;
  const Output out = p(std::vector<std::string>{kText, "Terrible. I want my money back."}, c);
  for (const auto& row : out.labels())
    for (const auto& ls : row) v.push_back(ls.score);
  return v;
}

struct AllocatorSwitch {  // restores the process options at the end of a test
  AllocatorOptions saved = allocator_options();
  ~AllocatorSwitch() { configure_allocator(saved); }
};
}  // namespace

TEST(AllocatorSession, PipelineAllocatesThroughOurAllocatorAndGivesItBack) {
  const uint64_t owner = register_memory_owner("tiny-bert");
  const AllocatorStats before = allocator_stats();
  uint64_t after_load = 0, after_runs = 0, peak = 0;
  {
    Pipeline p = classifier(owner);
    after_load = owner_memory(owner).allocations;
    for (int i = 0; i < 3; ++i) all_scores(p);
    after_runs = owner_memory(owner).allocations;
    peak = owner_memory(owner).peak_in_use;
    EXPECT_GT(owner_memory(owner).in_use, 0u);
  }
  const AllocatorStats after = allocator_stats();
  std::cout << "[ counts   ] tiny-bert: load " << after_load << " allocations (" << after.reserves - before.reserves
            << " Reserve), 3 runs " << after_runs - after_load << ", peak in use " << peak << " bytes, unattributed "
            << owner_memory(0).allocations << "\n";
  EXPECT_GT(after_runs, after_load);  // activations / outputs during Run
  EXPECT_GT(after.allocations, before.allocations);
  EXPECT_EQ(owner_memory(owner).in_use, 0u);  // everything charged to it came back
  EXPECT_EQ(owner_memory(owner).live_blocks, 0u);
  EXPECT_GT(peak, 0u);
  unregister_memory_owner(owner);
}

TEST(AllocatorSession, AnswersAreBitIdenticalToOnnxRuntimesOwnArena) {
  AllocatorSwitch restore;
  const std::vector<float> ours = all_scores(classifier(0));
  AllocatorOptions o = allocator_options();
  o.enabled = false;
  configure_allocator(o);
  const uint64_t count = allocator_stats().allocations;
  const std::vector<float> theirs = all_scores(classifier(0));
  EXPECT_EQ(allocator_stats().allocations, count);  // disabled really means ONNX Runtime's arena
  ASSERT_EQ(ours.size(), theirs.size());
  EXPECT_EQ(std::memcmp(ours.data(), theirs.data(), ours.size() * sizeof(float)), 0);
}

TEST(AllocatorSession, ConcurrentPipelinesAreChargedToTheirOwners) {
  const uint64_t a = register_memory_owner("a"), b = register_memory_owner("b");
  {
    Pipeline pa = classifier(a), pb = classifier(b);
    const uint64_t a0 = owner_memory(a).allocations, b0 = owner_memory(b).allocations;
    std::vector<float> ra, rb;
    std::thread ta([&] {
      for (int i = 0; i < 20; ++i) ra = all_scores(pa);
    });
    std::thread tb([&] {
      for (int i = 0; i < 20; ++i) rb = all_scores(pb);
    });
    ta.join();
    tb.join();
    EXPECT_EQ(ra, rb);
    EXPECT_GT(owner_memory(a).allocations, a0);
    EXPECT_GT(owner_memory(b).allocations, b0);
    const int64_t diff = static_cast<int64_t>(owner_memory(a).allocations - a0) -
                         static_cast<int64_t>(owner_memory(b).allocations - b0);
    EXPECT_EQ(diff, 0);  // same graph, same inputs: the same allocations each
  }
  EXPECT_EQ(owner_memory(a).in_use, 0u);
  EXPECT_EQ(owner_memory(b).in_use, 0u);
  unregister_memory_owner(a);
  unregister_memory_owner(b);
}
