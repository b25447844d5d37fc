// The cheapest split against an exhaustive search over every contiguous split, and the learned overhead
// against run times drawn from a known line.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

#include "split_search.hpp"
#include "workers/batch_cost.hpp"

namespace w = transformers::workers;

namespace {

using split_search::cost_of;

w::BatchAllowed at_most(size_t max_batch) {
  return [max_batch](size_t size, size_t, size_t, bool) { return size <= max_batch; };
}

}  // namespace

TEST(CheapestSplit, EqualsAnExhaustiveSearch) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 60; ++trial) {
    std::uniform_int_distribution<size_t> n_dist(1, 12), len(4, trial % 2 ? 32 : 128);
    std::vector<size_t> tokens(n_dist(rng));
    for (auto& t : tokens) t = len(rng);
    std::sort(tokens.begin(), tokens.end());
    const double overhead = static_cast<double>(trial % 5) * 12.0;
    const auto allowed = at_most(1 + trial % 6);
    const auto sizes = w::cheapest_split(tokens, overhead, allowed);
    size_t total = 0;
    for (size_t s : sizes) total += s;
    ASSERT_EQ(total, tokens.size());
    EXPECT_DOUBLE_EQ(cost_of(tokens, sizes, overhead), split_search::cheapest_cost(tokens, overhead, allowed))
        << "trial " << trial << ", overhead " << overhead;
  }
}

TEST(CheapestSplit, MergesWhilePaddingCostsLessThanAnInference) {
  // Two 8-token inputs and one of 120: merging all pads 224 tokens; with an overhead of 16 the long one
  // runs alone, with 300 everything shares one inference.
  const std::vector<size_t> tokens{8, 8, 120};
  EXPECT_EQ(w::cheapest_split(tokens, 16, at_most(16)), (std::vector<size_t>{2, 1}));
  EXPECT_EQ(w::cheapest_split(tokens, 300, at_most(16)), (std::vector<size_t>{3}));
  EXPECT_EQ(w::cheapest_split(tokens, 300, at_most(2)), (std::vector<size_t>{2, 1}));
  // No overhead: nothing to save by merging, so no padding is paid.
  const std::vector<size_t> uneven{5, 9, 9};
  EXPECT_DOUBLE_EQ(cost_of(uneven, w::cheapest_split(uneven, 0, at_most(16)), 0), 23.0);
  EXPECT_TRUE(w::cheapest_split({}, 16, at_most(16)).empty());
}

TEST(CheapestSplit, RespectsWhatTheCallerRefuses) {
  // Only equal lengths may merge (left padding): the split never mixes lengths whatever the overhead.
  const w::BatchAllowed equal_only = [](size_t size, size_t, size_t, bool equal) { return size == 1 || equal; };
  EXPECT_EQ(w::cheapest_split({4, 4, 6, 6, 6}, 1000, equal_only), (std::vector<size_t>{2, 3}));
}

TEST(InferenceCostModel, LearnsTheOverheadOfALine) {
  // Run times of 1500 us + 50 us per padded token, +-2% noise: the overhead is 30 tokens.
  w::InferenceCostModel model(16);
  EXPECT_DOUBLE_EQ(model.overhead_tokens(), 16);  // the prior until there is something to fit
  std::mt19937 rng(3);
  std::uniform_int_distribution<size_t> padded(16, 2048);
  std::uniform_real_distribution<double> noise(0.98, 1.02);
  for (int i = 0; i < 200; ++i) {
    const size_t x = padded(rng);
    model.record(x, (1500.0 + 50.0 * static_cast<double>(x)) * noise(rng));
  }
  EXPECT_NEAR(model.overhead_tokens(), 30.0, 6.0);
}

TEST(InferenceCostModel, KeepsItsEstimateWhenBatchesSayNothing) {
  // Every batch of one size: the intercept cannot be told from the slope.
  w::InferenceCostModel model(16);
  for (int i = 0; i < 100; ++i) model.record(256, 5000.0 + (i % 3));
  EXPECT_DOUBLE_EQ(model.overhead_tokens(), 16);
  // Times that fall with size (a noisy neighbour) give no line either.
  for (int i = 0; i < 100; ++i) model.record(i % 2 ? 64 : 1024, i % 2 ? 9000.0 : 1000.0);
  EXPECT_DOUBLE_EQ(model.overhead_tokens(), 16);
}
