// quantize_dynamic_int8(): a model file in, its dynamically quantized form out (engine/onnx_quantize.cpp).
#include <unistd.h>

#include <fstream>
#include <stdexcept>

#include "core/files.hpp"
#include "engine/onnx_protobuf.hpp"
#include "engine/onnx_quantize.hpp"
#include "memory/mapped_file.hpp"
#include "transformers/engine.hpp"
#include "transformers/error.hpp"

namespace transformers {

QuantizeResult quantize_dynamic_int8(const std::filesystem::path& input, const std::filesystem::path& output,
                                     const QuantizeOptions& options) {
  core::require_regular_file(input, "ONNX model file");
  memory::MappedFile model(input);
  engine::onnx::QuantizeStats stats;
  std::string bytes;
  try {
    bytes = engine::onnx::quantize_dynamic(model.bytes(), {options.per_channel, options.embeddings, options.reduce_range}, stats);
  } catch (const engine::onnx::WireError& e) {
    throw ModelLoadError("cannot quantize " + input.string() + ": not a valid ModelProto (" + e.what() + ")");
  } catch (const std::invalid_argument& e) {
    throw ModelLoadError("cannot quantize " + input.string() + ": " + e.what());
  }
  const std::filesystem::path tmp = output.string() + ".tmp-" + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out.flush()) {
      std::error_code ec;
      std::filesystem::remove(tmp, ec);
      throw ModelLoadError("cannot write " + output.string());
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, output, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    throw ModelLoadError("cannot write " + output.string() + ": " + ec.message());
  }
  return {stats.matmuls, stats.gathers, stats.weights, model.size(), bytes.size()};
}

}  // namespace transformers
