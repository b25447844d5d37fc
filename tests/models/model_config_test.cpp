#include <gtest/gtest.h>

#include "transformers/error.hpp"
#include "transformers/model_folder.hpp"

using namespace transformers;

namespace {
std::string load_error(const std::string& json) {
  try {
    ModelConfig::from_json(json, "cfg.json");
  } catch (const ModelLoadError& e) {
    return e.what();
  }
  return "(no exception)";
}
}  // namespace

TEST(ModelConfig, ReadsTheFieldsPipelinesUse) {
  const auto c = ModelConfig::from_json(R"({
    "model_type": "bert", "architectures": ["BertForSequenceClassification"],
    "id2label": {"0": "NEGATIVE", "1": "POSITIVE"}, "label2id": {"NEGATIVE": 0, "POSITIVE": 1},
    "problem_type": "single_label_classification", "hidden_size": 384, "num_hidden_layers": 6,
    "num_attention_heads": 12, "intermediate_size": 1536, "vocab_size": 30522, "max_position_embeddings": 512})");
  EXPECT_EQ(c.model_type, "bert");
  EXPECT_EQ(c.architectures.at(0), "BertForSequenceClassification");
  EXPECT_EQ(c.num_labels, 2);
  EXPECT_EQ(c.label(1), "POSITIVE");
  EXPECT_EQ(c.label(7), "LABEL_7");
  EXPECT_EQ(c.label2id.at("NEGATIVE"), 0);
  EXPECT_EQ(c.problem_type.value(), "single_label_classification");
  EXPECT_EQ(c.hidden_size, 384);
  EXPECT_EQ(c.num_hidden_layers, 6);
  EXPECT_EQ(c.num_attention_heads, 12);
  EXPECT_EQ(c.intermediate_size, 1536);
  EXPECT_EQ(c.vocab_size, 30522);
  EXPECT_EQ(c.max_position_embeddings, 512);
}

TEST(ModelConfig, DistilBertSpellings) {
  const auto c = ModelConfig::from_json(R"({"model_type": "distilbert", "dim": 32, "n_layers": 2, "n_heads": 4,
                                            "hidden_dim": 64})");
  EXPECT_EQ(c.hidden_size, 32);
  EXPECT_EQ(c.num_hidden_layers, 2);
  EXPECT_EQ(c.num_attention_heads, 4);
  EXPECT_EQ(c.intermediate_size, 64);
  EXPECT_FALSE(c.problem_type.has_value());
}

// Found by scripts/fuzz.sh fuzz_config_json: a number too large for a double made nlohmann throw
// out_of_range, which escaped as a non-transformers exception.
TEST(ModelConfig, ANumberOutOfRangeIsALoadError) {
  EXPECT_NE(load_error(R"({"vocab_size": 1e400})").find("cfg.json: is not valid JSON"), std::string::npos);
}

TEST(ModelConfig, ErrorsNameTheField) {
  EXPECT_NE(load_error("{not json").find("cfg.json: is not valid JSON"), std::string::npos);
  EXPECT_NE(load_error("[1,2]").find("cfg.json: must hold a JSON object"), std::string::npos);
  EXPECT_NE(load_error(R"({"model_type": 5})").find("field \"model_type\" must be a string"), std::string::npos);
  EXPECT_NE(load_error(R"({"id2label": ["a"]})").find("field \"id2label\" must be an object"), std::string::npos);
  EXPECT_NE(load_error(R"({"id2label": {"x": "a"}})").find("key 'x'"), std::string::npos);
  EXPECT_NE(load_error(R"({"id2label": {"0": 1}})").find("field \"id2label.0\" must be a string"), std::string::npos);
  EXPECT_NE(load_error(R"({"hidden_size": "big"})").find("field \"hidden_size\" must be an integer"), std::string::npos);
  EXPECT_NE(load_error(R"({"problem_type": []})").find("field \"problem_type\" must be a string"), std::string::npos);
}
