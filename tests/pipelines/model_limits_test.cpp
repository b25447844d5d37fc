// What a model folder says about its limits and files, checked before ONNX Runtime sees an input
// (issue 11): model_max_length beyond the position table, id2label against the logits, dtype in
// config.json, ONNX paths that are not files, and the truncation a result reports.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "broken_copy.hpp"
#include "core/files.hpp"
#include "test_support.hpp"
#include "transformers/pipeline.hpp"

using namespace transformers;
using fixtures::BrokenCopy;
using nlohmann::json;

namespace {
using transformers::fixtures::kSentimentModel;

std::string words(int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += "good ";
  return s;
}

json read_json(const std::filesystem::path& p) { return json::parse(core::read_text_file(p, "json")); }
}  // namespace

TEST(ModelLimits, HugeModelMaxLengthIsCutToThePositionTable) {
  for (const char* declared : {"1e30", "9223372036854775807", "100000"}) {
    BrokenCopy copy(kSentimentModel);
    json tc = read_json(copy.root / "tokenizer_config.json");
    tc["model_max_length"] = json::parse(declared);
    copy.write("tokenizer_config.json", tc.dump());
    Pipeline p = pipeline("text-classification", copy.root);
    EXPECT_EQ(p.max_input_tokens(), 512u) << declared;  // config.json max_position_embeddings
    const Output long_out = p(words(1500));            // ONNX Runtime failed on this: "512 by 1502"
    EXPECT_EQ(long_out.truncated_inputs(), (std::vector<size_t>{0})) << declared;
    Pipeline ref = pipeline("text-classification", kSentimentModel);  // model_max_length 512: the same cut
    EXPECT_NEAR(long_out.labels()[0][0].score, ref(words(1500)).labels()[0][0].score, 1e-6) << declared;
    EXPECT_TRUE(p("short").truncated_inputs().empty());
  }
}

TEST(ModelLimits, RobertaPositionsLeaveRoomForThePaddingOffset) {
  BrokenCopy copy(kSentimentModel);
  json cfg = read_json(copy.root / "config.json");
  cfg["max_position_embeddings"] = 130;
  cfg["model_type"] = "roberta";  // positions start at padding_idx + 1: 128 usable
  copy.write("config.json", cfg.dump());
  EXPECT_EQ(pipeline("text-classification", copy.root).max_input_tokens(), 128u);
}

TEST(ModelLimits, TruncationIsReportedPerInputAndCrossesABatch) {
  Pipeline p = pipeline("text-classification", kSentimentModel);
  const Output out = p(std::vector<std::string>{"short", words(600), "also short", words(511)});
  EXPECT_EQ(out.truncated_inputs(), (std::vector<size_t>{1, 3}));  // 511 words + [CLS] [SEP] = 513
}

TEST(ModelLimits, ZeroModelMaxLengthNamesTheCause) {
  BrokenCopy copy(kSentimentModel);
  json tc = read_json(copy.root / "tokenizer_config.json");
  tc["model_max_length"] = 0;
  copy.write("tokenizer_config.json", tc.dump());
  Pipeline p = pipeline("text-classification", copy.root);
  const auto msg = fixtures::message_of<InvalidInputError>([&] { p("hello"); });
  EXPECT_NE(msg.find("model_max_length 0"), std::string::npos) << msg;
}

TEST(ModelLimits, Id2labelMustMatchTheLogits) {
  BrokenCopy copy(kSentimentModel);
  json cfg = read_json(copy.root / "config.json");
  cfg["id2label"] = {{"0", "a"}, {"1", "b"}, {"2", "c"}, {"3", "d"}, {"4", "e"}};
  cfg.erase("label2id");
  copy.write("config.json", cfg.dump());
  const auto msg = fixtures::message_of<ModelLoadError>([&] {
    Pipeline p = pipeline("text-classification", copy.root);
    p("hello");  // the graph's logits axis may be symbolic: then the first call finds it
  });
  EXPECT_NE(msg.find("5 labels in id2label"), std::string::npos) << msg;
  EXPECT_NE(msg.find("2 logits"), std::string::npos) << msg;
}

TEST(ModelLimits, ConfigDtypeIsCheckedAndNamedWhenItsFileIsMissing) {
  for (const char* bad : {R"({"dtype": "fp64"})", R"({"dtype": 7})", R"("q8")"}) {
    BrokenCopy copy(kSentimentModel);
    json cfg = read_json(copy.root / "config.json");
    cfg["transformers.js_config"] = json::parse(bad);
    copy.write("config.json", cfg.dump());
    const auto msg = fixtures::message_of<ModelLoadError>([&] { pipeline("text-classification", copy.root); });
    EXPECT_NE(msg.find("transformers.js_config"), std::string::npos) << bad << ": " << msg;
  }
  BrokenCopy copy(kSentimentModel);
  json cfg = read_json(copy.root / "config.json");
  cfg["transformers.js_config"] = {{"dtype", "fp16"}};
  copy.write("config.json", cfg.dump());
  const auto msg = fixtures::message_of<ModelLoadError>([&] { pipeline("text-classification", copy.root); });
  EXPECT_NE(msg.find("from config.json transformers.js_config.dtype"), std::string::npos) << msg;
  // Per-file dtypes, as Transformers.js reads an object.
  cfg["transformers.js_config"] = {{"dtype", {{"model", "q8"}}}};
  copy.write("config.json", cfg.dump());
  EXPECT_EQ(pipeline("text-classification", copy.root).dtype(), "q8");
  const auto empty = fixtures::message_of<InvalidInputError>([&] {
    PipelineOptions o;
    o.dtype = "";
    pipeline("text-classification", kSentimentModel, o);
  });
  EXPECT_NE(empty.find("dtype is empty"), std::string::npos) << empty;
}

TEST(ModelLimits, AnOnnxPathThatIsNotAFileSaysWhatItIs) {
  namespace fs = std::filesystem;
  const auto model = [](const BrokenCopy& c) { return c.root / "onnx" / "model.onnx"; };
  {
    BrokenCopy copy(kSentimentModel);
    fs::remove(model(copy));
    fs::create_directory(model(copy));
    const auto msg = fixtures::message_of<ModelLoadError>([&] { pipeline("text-classification", copy.root); });
    EXPECT_NE(msg.find("is a directory"), std::string::npos) << msg;
  }
  {
    BrokenCopy copy(kSentimentModel);
    fs::remove(model(copy));
    ASSERT_EQ(mkfifo(model(copy).c_str(), 0600), 0);
    const auto msg = fixtures::message_of<ModelLoadError>([&] { pipeline("text-classification", copy.root); });
    EXPECT_NE(msg.find("is a FIFO"), std::string::npos) << msg;  // reading it would block forever
  }
  {
    BrokenCopy copy(kSentimentModel);
    fs::remove(model(copy));
    fs::create_symlink("model.onnx", model(copy));  // a loop
    const auto msg = fixtures::message_of<ModelLoadError>([&] { pipeline("text-classification", copy.root); });
    EXPECT_NE(msg.find("cannot be read"), std::string::npos) << msg;
    EXPECT_EQ(msg.find("not found"), std::string::npos) << msg;
  }
  {
    BrokenCopy copy(kSentimentModel);
    fs::remove(model(copy));
    fs::create_symlink("/dev/zero", model(copy));
    const auto msg = fixtures::message_of<ModelLoadError>([&] { pipeline("text-classification", copy.root); });
    EXPECT_NE(msg.find("is a device"), std::string::npos) << msg;
  }
}
