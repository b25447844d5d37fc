// Dynamic int8 quantization of an ONNX model, in the pattern ONNX Runtime's quantize_dynamic writes (and
// the *_quantized.onnx files Transformers.js loads contain), on the protobuf wire format (no protobuf or
// onnx library):
//   MatMul(X, W), W a 2-D float initializer ->
//       DynamicQuantizeLinear(X) -> X_q (uint8), X_scale, X_zero_point     (one per activation X)
//       MatMulInteger(X_q, W_q (int8, symmetric per tensor), X_zero_point, 0) -> int32
//       Cast(float) ; Mul(X_scale, W_scale) ; Mul -> the MatMul's output
//   Gather(E, ids), E a 2-D float initializer -> Gather(E_q (uint8, asymmetric per tensor), ids) ;
//       DequantizeLinear(E_scale, E_zero_point)
// Gemm stays float, as quantize_dynamic's defaults leave it. The arithmetic is numpy's in
// tools/fixtures/quantize_dynamic.py (the reference the tests compare with): round half to even, scales
// computed in double and stored as float.
#pragma once

#include <cstddef>
#include <span>
#include <string>

namespace transformers::engine::onnx {

struct QuantizeStats {
  size_t matmuls = 0, gathers = 0;  // nodes rewritten
  size_t weights = 0;               // initializers quantized
};

struct QuantizeOptions {
  bool per_channel = false;  // a scale per output column of each MatMul weight (more accurate)
  bool embeddings = true;    // also store Gather tables as uint8 (smaller file)
  bool reduce_range = false; // 7-bit weights (±63): no 16-bit saturation in AVX2's u8*s8 kernels
};

// Returns the serialized quantized ModelProto. Throws WireError on malformed input and
// std::invalid_argument when the model cannot be quantized (weights in external data, an opset below 11,
// nothing to quantize).
std::string quantize_dynamic(std::span<const std::byte> model, const QuantizeOptions& options, QuantizeStats& stats);

}  // namespace transformers::engine::onnx
