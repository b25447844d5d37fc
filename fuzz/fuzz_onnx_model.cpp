// ONNX bytes through our protobuf wire reader: the header, the initializer scan, the sidecar rewrite and
// the int8 quantizer. Malformed input must be a WireError / invalid_argument, never a crash.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>

#include "engine/onnx_protobuf.hpp"
#include "engine/onnx_quantize.hpp"

namespace onnx = transformers::engine::onnx;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
  try {
    (void)onnx::read_model_header(bytes);
    const onnx::ModelScan scan = onnx::scan_model(bytes);
    (void)onnx::rewrite_model(bytes, scan, [](size_t i) -> std::optional<onnx::ExternalRef> {
      if (i % 2) return std::nullopt;
      return onnx::ExternalRef{"w.bin", 64 * i, 16};
    });
    onnx::QuantizeStats stats;
    (void)onnx::quantize_dynamic(bytes, {}, stats);
  } catch (const onnx::WireError&) {
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
