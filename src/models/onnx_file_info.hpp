// Header facts of an .onnx file (ir_version, producer, opsets) read without loading the graph.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace transformers::models {

struct OnnxFileInfo {
  int64_t ir_version = 0;
  std::string producer_name;
  std::string producer_version;
  std::vector<std::pair<std::string, int64_t>> opsets;  // domain ("" = ai.onnx), version
};

// Scans the top-level fields of the ModelProto, skipping the graph. Throws ModelLoadError naming the file.
OnnxFileInfo read_onnx_file_info(const std::filesystem::path& file);

}  // namespace transformers::models
