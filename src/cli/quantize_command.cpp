// `transformers-cpp quantize DIR [--dtype q8]`: writes DIR/onnx/model_quantized.onnx, the dynamically
// quantized form of DIR/onnx/model.onnx (what `--dtype q8` then loads, as in Transformers.js).
#include <cstdio>

#include "cli/args.hpp"
#include "core/files.hpp"
#include "transformers/engine.hpp"
#include "transformers/error.hpp"
#include "transformers/model_folder.hpp"

namespace transformers::cli {

int quantize_command(const Args& args) {
  if (args.positionals().size() != 1) throw InvalidInputError("quantize: give exactly one model folder");
  const std::string dtype = args.get("dtype").value_or("q8");
  if (dtype != "q8") throw InvalidInputError("quantize: --dtype must be q8 (dynamic int8), got '" + dtype + "'");
  const ModelFolder folder(args.positionals()[0]);
  ModelFileRequest fp32, q8;
  fp32.dtype = "fp32";
  q8.dtype = "q8";
  const std::filesystem::path in = folder.onnx_file(fp32);
  const std::filesystem::path out = in.parent_path() / ("model" + dtype_suffix(q8.dtype) + ".onnx");
  QuantizeOptions options;
  options.per_channel = args.has("per-channel");
  options.embeddings = !args.has("float-embeddings");
  options.reduce_range = args.has("reduce-range");
  const QuantizeResult r = quantize_dynamic_int8(in, out, options);
  std::printf("%s -> %s: %zu MatMuls and %zu Gathers quantized (%zu weights), %s -> %s\n", in.c_str(), out.c_str(),
              r.matmuls, r.gathers, r.weights, core::human_bytes(r.input_bytes).c_str(),
              core::human_bytes(r.output_bytes).c_str());
  return 0;
}

}  // namespace transformers::cli
