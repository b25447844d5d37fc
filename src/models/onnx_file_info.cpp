#include "models/onnx_file_info.hpp"

#include "core/files.hpp"
#include "engine/onnx_protobuf.hpp"
#include "memory/mapped_file.hpp"
#include "transformers/error.hpp"

namespace transformers::models {

// The file is mapped, not read: the walk over ModelProto's top level touches the small fields only, so
// the graph's pages (hundreds of MiB) are never faulted in.
OnnxFileInfo read_onnx_file_info(const std::filesystem::path& file) {
  core::require_regular_file(file, "ONNX file");
  try {
    memory::MappedFile mapped(file);
    engine::onnx::ModelHeader h = engine::onnx::read_model_header(mapped.bytes());
    return {h.ir_version, std::move(h.producer_name), std::move(h.producer_version), std::move(h.opsets)};
  } catch (const engine::onnx::WireError& e) {
    throw ModelLoadError("not a valid ONNX file: " + file.string() + " (" + e.what() + ")");
  }
}

}  // namespace transformers::models
