// A call of many inputs runs in bounded chunks (issue 11): the same results as one batch, in order, with a
// working-memory peak that does not grow with the number of inputs.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "test_support.hpp"
#include "transformers/memory.hpp"
#include "transformers/memory_report.hpp"
#include "transformers/pipeline.hpp"

using namespace transformers;

namespace {
std::vector<std::string> texts(size_t n) {
  static const char* words[] = {"good", "bad", "film", "awful", "great", "the", "plot", "was", "fine"};
  std::vector<std::string> out;
  for (size_t i = 0; i < n; ++i) {
    std::string t;
    for (size_t w = 0; w < 5 + i % 30; ++w) t += std::string(w ? " " : "") + words[(i * 7 + w) % 9];
    out.push_back(t);
  }
  return out;
}

uint64_t peak_of(const Pipeline& p) {
  for (const auto& row : memory_report().pipelines)
    if (row.owner == p.memory_owner()) return row.peak_in_use;
  return 0;
}
}  // namespace

TEST(ChunkedCall, ManyInputsGiveTheResultsOfSmallBatchesInOrder) {
  Pipeline p = pipeline("text-classification", fixtures::model("tiny-bert-sentiment"));
  const auto in = texts(3000);  // ~60,000 padded tokens: several chunks
  const Output all = p(in, TextClassificationOptions{.top_k = std::nullopt});
  ASSERT_EQ(all.labels().size(), in.size());
  for (size_t i : {size_t{0}, size_t{1}, size_t{777}, size_t{1500}, size_t{2999}}) {
    const Output one = p(std::vector<std::string>{in[i]}, TextClassificationOptions{.top_k = std::nullopt});
    ASSERT_EQ(one.labels()[0].size(), all.labels()[i].size());
    for (size_t k = 0; k < one.labels()[0].size(); ++k) {
      EXPECT_EQ(one.labels()[0][k].label, all.labels()[i][k].label) << i;
      EXPECT_NEAR(one.labels()[0][k].score, all.labels()[i][k].score, 1e-5) << i;
    }
  }
  Pipeline embed = pipeline("feature-extraction", fixtures::model("tiny-bert-embedder"));
  const Tensor e = embed(in, FeatureExtractionOptions{.pooling = Pooling::mean, .normalize = true}).tensor();
  EXPECT_EQ(e.dims, (std::vector<int64_t>{3000, 32}));
  const Tensor last = embed(std::vector<std::string>{in.back()}, FeatureExtractionOptions{.pooling = Pooling::mean, .normalize = true}).tensor();
  for (size_t k = 0; k < 32; ++k) EXPECT_NEAR(last.data[k], e.data[2999 * 32 + k], 1e-5);
}

TEST(ChunkedCall, WorkingMemoryDoesNotGrowWithTheNumberOfInputs) {
  Pipeline p = pipeline("text-classification", fixtures::model("tiny-bert-sentiment"));
  p(texts(600));  // warm up
  reset_allocator_peak();
  p(texts(600));
  const uint64_t small = peak_of(p);
  reset_allocator_peak();
  p(texts(6000));
  const uint64_t big = peak_of(p);
  std::cout << "[ chunked ] working-memory peak: 600 inputs " << small / 1024 << " KiB, 6,000 inputs "
            << big / 1024 << " KiB\n";
  ASSERT_GT(small, 0u);
  EXPECT_LT(big, small * 3 / 2);  // one batch of 6,000 would need ~10x
}

// A task's own rows (zero-shot: premise x label pairs) past 16,384 padded tokens run in groups of rows
// padded alike: the scores are those of the labels scored one call each.
TEST(ChunkedCall, ZeroShotRowsRunInGroupsWithTheSameScores) {
  Pipeline p = pipeline("zero-shot-classification", fixtures::model("tiny-bert-nli"));
  std::string premise;
  for (int i = 0; i < 40; ++i) premise += i ? " the team played well in the final" : "the team played well in the final";
  std::vector<std::string> labels;
  for (int i = 0; i < 200; ++i) labels.push_back("topic " + std::to_string(i));  // ~128 tokens x 200 rows
  ZeroShotClassificationOptions o{labels, "This example is {}.", true};
  const auto all = p(premise, o).get<ZeroShotClassificationResult>().inputs.at(0);
  ASSERT_EQ(all.labels.size(), labels.size());
  for (size_t k = 0; k < all.labels.size(); k += 37) {
    ZeroShotClassificationOptions one{{all.labels[k]}, "This example is {}.", true};
    const auto alone = p(premise, one).get<ZeroShotClassificationResult>().inputs.at(0);
    EXPECT_NEAR(alone.scores.at(0), all.scores[k], 1e-5) << all.labels[k];
  }
}
