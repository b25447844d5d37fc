#include <gtest/gtest.h>

#include <fstream>

#include "test_support.hpp"
#include "transformers/error.hpp"
#include "transformers/model_folder.hpp"

using namespace transformers;
using fixtures::message_of;
namespace fs = std::filesystem;

namespace {
// A scratch model folder holding empty ONNX files for the named suffixes.
struct ScratchFolder {
  fs::path root;
  explicit ScratchFolder(const std::string& config = R"({"model_type": "bert"})") {
    root = fs::temp_directory_path() / ("tfcpp_folder_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
                                        "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root);
    fs::create_directories(root / "onnx");
    std::ofstream(root / "config.json") << config;
  }
  void add(const std::string& relative) { std::ofstream(root / relative) << "x"; }
  ~ScratchFolder() { fs::remove_all(root); }
};

}  // namespace

TEST(Dtype, SuffixesFollowTransformersJs) {
  EXPECT_EQ(dtype_suffix("fp32"), "");
  EXPECT_EQ(dtype_suffix("fp16"), "_fp16");
  EXPECT_EQ(dtype_suffix("q8"), "_quantized");
  EXPECT_EQ(dtype_suffix("int8"), "_int8");
  EXPECT_EQ(dtype_suffix("uint8"), "_uint8");
  EXPECT_EQ(dtype_suffix("q4"), "_q4");
  EXPECT_EQ(dtype_suffix("q4f16"), "_q4f16");
  EXPECT_EQ(dtype_suffix("bnb4"), "_bnb4");
  const auto msg = message_of<InvalidInputError>([] { dtype_suffix("fp8"); });
  EXPECT_NE(msg.find("'fp8'"), std::string::npos);
  EXPECT_NE(msg.find("q4f16"), std::string::npos) << "lists the known dtypes: " << msg;
}

TEST(ModelFolder, PicksTheFileForEachDtype) {
  ScratchFolder f;
  for (const auto& d : known_dtypes()) f.add("onnx/model" + dtype_suffix(d) + ".onnx");
  ModelFolder folder(f.root);
  for (const auto& d : known_dtypes()) {
    ModelFileRequest r;
    r.dtype = d;
    EXPECT_EQ(folder.onnx_file(r), f.root / "onnx" / ("model" + dtype_suffix(d) + ".onnx")) << d;
  }
  ModelFileRequest automatic;
  EXPECT_EQ(folder.resolve_dtype(automatic), "fp32");
  EXPECT_EQ(folder.onnx_file(automatic).filename(), "model.onnx");
}

TEST(ModelFolder, ModelFileNameOverride) {
  ScratchFolder f;
  f.add("onnx/encoder_model_quantized.onnx");
  ModelFolder folder(f.root);
  ModelFileRequest r;
  r.dtype = "q8";
  r.model_file_name = "encoder_model";
  EXPECT_EQ(folder.onnx_file(r).filename(), "encoder_model_quantized.onnx");
}

TEST(ModelFolder, DefaultDtypeComesFromTransformersJsConfig) {
  ScratchFolder f(R"({"model_type": "bert", "transformers.js_config": {"dtype": "q8"}})");
  f.add("onnx/model_quantized.onnx");
  ModelFolder folder(f.root);
  EXPECT_EQ(folder.resolve_dtype({}), "q8");
  EXPECT_EQ(folder.onnx_file({}).filename(), "model_quantized.onnx");
  ModelFileRequest explicit_fp32;
  explicit_fp32.dtype = "fp32";
  EXPECT_EQ(folder.resolve_dtype(explicit_fp32), "fp32");
}

TEST(ModelFolder, MissingOnnxFileNamesPathAndListsWhatIsThere) {
  ScratchFolder f;
  f.add("onnx/model.onnx");
  ModelFolder folder(f.root);
  ModelFileRequest r;
  r.dtype = "fp16";
  const auto msg = message_of<ModelLoadError>([&] { folder.onnx_file(r); });
  EXPECT_NE(msg.find((f.root / "onnx" / "model_fp16.onnx").string()), std::string::npos) << msg;
  EXPECT_NE(msg.find("onnx/model.onnx"), std::string::npos) << msg;
}

TEST(ModelFolder, MissingFolderNamesIt) {
  const auto msg = message_of<ModelLoadError>([] { ModelFolder("/no/such/model/folder"); });
  EXPECT_NE(msg.find("/no/such/model/folder"), std::string::npos) << msg;
}

TEST(ModelFolder, MissingConfigListsTheFolder) {
  ScratchFolder f;
  fs::remove(f.root / "config.json");
  f.add("onnx/model.onnx");
  const auto msg = message_of<ModelLoadError>([&] { ModelFolder folder(f.root); });
  EXPECT_NE(msg.find("config.json not found"), std::string::npos) << msg;
  EXPECT_NE(msg.find("onnx/model.onnx"), std::string::npos) << msg;
}

TEST(ModelFolder, MissingTokenizerNamesThePath) {
  ScratchFolder f;
  ModelFolder folder(f.root);
  const auto msg = message_of<ModelLoadError>([&] { folder.tokenizer_json(); });
  EXPECT_NE(msg.find((f.root / "tokenizer.json").string()), std::string::npos) << msg;
}

TEST(ModelFolder, ReadsTheCommittedFixture) {
  ModelFolder folder(fixtures::model("tiny-bert-sentiment"));
  EXPECT_EQ(folder.config().model_type, "bert");
  EXPECT_EQ(folder.config().label(0), "NEGATIVE");
  EXPECT_EQ(folder.config().label(1), "POSITIVE");
  EXPECT_EQ(folder.config().num_labels, 2);
  EXPECT_TRUE(fs::exists(folder.tokenizer_json()));
  EXPECT_TRUE(fs::exists(folder.onnx_file({})));
}
