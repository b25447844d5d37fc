// Dynamic int8 quantization (src/engine/onnx_quantize.cpp) against the independent reference: the
// committed tiny-bert-sentiment/onnx/model_quantized.onnx, written by tools/fixtures/quantize_dynamic.py
// with the onnx package and numpy. Same weights, same graph: ONNX Runtime gives bit-identical outputs.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "test_support.hpp"
#include "transformers/engine.hpp"
#include "transformers/error.hpp"

using namespace transformers;
namespace fs = std::filesystem;

namespace {
const fs::path kFolder = fixtures::model("tiny-bert-sentiment");

std::vector<float> logits(const fs::path& model, const std::vector<int64_t>& ids) {
  SessionOptions plain;
  plain.file_backed_weights = false;  // the file itself, no cache in between
  Session s(model, plain);
  const std::vector<int64_t> mask(ids.size(), 1), types(ids.size(), 0);
  const std::vector<int64_t> dims = {1, static_cast<int64_t>(ids.size())};
  std::vector<InputTensor> in = {{"input_ids", ElementType::int64, dims, ids.data(), ids.size() * 8},
                                 {"attention_mask", ElementType::int64, dims, mask.data(), mask.size() * 8},
                                 {"token_type_ids", ElementType::int64, dims, types.data(), types.size() * 8}};
  return s.run(in, {"logits"}).at(0).data;
}
}  // namespace

TEST(Quantize, MatchesTheOnnxPackageReferenceBitForBit) {
  fixtures::ScratchDir dir("quantize");
  const fs::path out = dir.path / "model_quantized.onnx";
  const QuantizeResult r = quantize_dynamic_int8(kFolder / "onnx" / "model.onnx", out);
  EXPECT_EQ(r.matmuls, 12u);  // the reference's 12 MatMulInteger nodes
  EXPECT_EQ(r.gathers, 3u);   // word, position and token-type embeddings
  EXPECT_EQ(r.output_bytes, fs::file_size(kFolder / "onnx" / "model_quantized.onnx"));
  for (const auto& ids : {std::vector<int64_t>{101, 1045, 2293, 2023, 102}, std::vector<int64_t>{101, 7592, 2088, 102},
                          std::vector<int64_t>(64, 2204)}) {
    EXPECT_EQ(logits(out, ids), logits(kFolder / "onnx" / "model_quantized.onnx", ids));
  }
}

TEST(Quantize, BadInputIsAClearErrorAndNothingIsWritten) {
  fixtures::ScratchDir dir("quantize_bad");
  const fs::path garbage = dir.path / "garbage.onnx";
  std::ofstream(garbage) << "not a protobuf at all";
  const fs::path out = dir.path / "out.onnx";
  fixtures::expect_load_error([&] { quantize_dynamic_int8(garbage, out); }, {garbage.string()});
  fixtures::expect_load_error([&] { quantize_dynamic_int8(dir.path / "missing.onnx", out); }, {"missing.onnx", "not found"});
  // Already quantized: no float MatMul weight is left.
  fixtures::expect_load_error([&] { quantize_dynamic_int8(kFolder / "onnx" / "model_quantized.onnx", out); },
                              {"nothing to quantize"});
  EXPECT_FALSE(fs::exists(out));
  const auto r = fixtures::run_cli("quantize --dtype q4 " + kFolder.string());
  EXPECT_EQ(r.exit_code, 2) << r.out;
}
