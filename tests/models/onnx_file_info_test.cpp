#include <gtest/gtest.h>

#include <fstream>

#include "models/onnx_file_info.hpp"
#include "test_support.hpp"
#include "transformers/error.hpp"

using namespace transformers;

TEST(OnnxFileInfo, ReadsOpsetAndProducer) {
  const auto info = models::read_onnx_file_info(fixtures::model("tiny-bert-sentiment") / "onnx" / "model.onnx");
  EXPECT_GE(info.ir_version, 3);
  EXPECT_NE(info.producer_name.find("make_models.py"), std::string::npos) << info.producer_name;
  bool has_default_domain = false;
  for (const auto& [domain, version] : info.opsets) {
    if (domain.empty() || domain == "ai.onnx") {
      has_default_domain = true;
      EXPECT_GE(version, 11);
    }
  }
  EXPECT_TRUE(has_default_domain);
}

TEST(OnnxFileInfo, TruncatedFileIsAnError) {
  const auto p = std::filesystem::temp_directory_path() / "tfcpp_truncated.onnx";
  std::ofstream(p, std::ios::binary) << std::string("\x08\x07\x12\xff", 4);
  EXPECT_THROW(models::read_onnx_file_info(p), ModelLoadError);
  std::filesystem::remove(p);
}
