#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_support.hpp"
#include "transformers/memory_report.hpp"
#include "transformers/pipeline.hpp"

using namespace transformers;

TEST(MemoryReport, ListsLivePipelinesAndSharedMappings) {
  const auto model = fixtures::model("tiny-bert-sentiment");
  {
    Pipeline a = pipeline("text-classification", model);
    Pipeline b = pipeline("text-classification", model);
    a("warm up the working memory");
    const MemoryReport r = memory_report();
    EXPECT_GT(r.process.rss, 0u);
    EXPECT_GT(r.process.rss_file, 0u);
    ASSERT_EQ(r.pipelines.size(), 2u);
    EXPECT_EQ(r.pipelines[0].task, "text-classification");
    EXPECT_NE(r.pipelines[0].owner, r.pipelines[1].owner);
    uint64_t peak = 0;
    for (const auto& p : r.pipelines) peak = std::max(peak, p.peak_in_use);
    EXPECT_GT(peak, 0u) << "a run goes through our allocator";
    ASSERT_EQ(r.mapped_weights.size(), 1u) << "two pipelines of one model share one mapping";
    EXPECT_EQ(r.mapped_weights[0].sessions, 2);
    EXPECT_EQ(r.mapped_weights_bytes, r.mapped_weights[0].bytes);
    EXPECT_GT(r.allocator.reserved, 0u);

    const auto j = nlohmann::json::parse(r.to_json());
    EXPECT_EQ(j["pipelines"].size(), 2u);
    EXPECT_EQ(j["process"]["rss"].get<uint64_t>(), r.process.rss);
    EXPECT_EQ(j["mapped_weights"][0]["sessions"], 2);
    const std::string table = r.to_table();
    EXPECT_NE(table.find("RSS"), std::string::npos);
    EXPECT_NE(table.find("tiny-bert-sentiment (fp32)"), std::string::npos) << table;
    b.dispose();
    EXPECT_EQ(memory_report().pipelines.size(), 1u);
    EXPECT_EQ(memory_report().mapped_weights.at(0).sessions, 1);
  }
  const MemoryReport after = memory_report();
  EXPECT_TRUE(after.pipelines.empty());
  EXPECT_TRUE(after.mapped_weights.empty()) << "the last user unmaps the weights";
}
