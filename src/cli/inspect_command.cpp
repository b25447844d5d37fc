// `transformers-cpp inspect DIR`: what a model folder holds and what its graphs take and return.
#include <cstdio>

#include "cli/args.hpp"
#include "models/onnx_file_info.hpp"
#include "transformers/engine.hpp"
#include "transformers/error.hpp"
#include "transformers/model_folder.hpp"

namespace transformers::cli {

namespace {
std::string shape(const TensorInfo& t) {
  std::string s = "[";
  for (size_t i = 0; i < t.dims.size(); ++i) {
    if (i) s += ", ";
    s += t.dims[i] >= 0 ? std::to_string(t.dims[i]) : (t.dim_names[i].empty() ? "?" : t.dim_names[i]);
  }
  return s + "]";
}
}  // namespace

int inspect_command(const Args& args) {
  if (args.positionals().size() != 1) throw InvalidInputError("inspect: give exactly one model folder");
  const ModelFolder folder(args.positionals()[0]);
  const ModelConfig& c = folder.config();
  std::printf("model folder  %s\n", folder.root().c_str());
  std::printf("model_type    %s\n", c.model_type.empty() ? "(none)" : c.model_type.c_str());
  for (const auto& a : c.architectures) std::printf("architecture  %s\n", a.c_str());
  std::printf("sizes         hidden %d, layers %d, heads %d, intermediate %d, vocab %d, positions %d\n",
              c.hidden_size, c.num_hidden_layers, c.num_attention_heads, c.intermediate_size, c.vocab_size,
              c.max_position_embeddings);
  if (c.problem_type) std::printf("problem_type  %s\n", c.problem_type->c_str());
  if (!c.id2label.empty()) {
    std::printf("labels        ");
    for (const auto& [id, label] : c.id2label) std::printf("%d=%s ", id, label.c_str());
    std::printf("\n");
  }
  std::printf("\nfiles\n");
  for (const auto& f : folder.listing()) std::printf("  %s\n", f.c_str());

  for (const auto& dtype : known_dtypes()) {
    ModelFileRequest req;
    req.dtype = dtype;
    std::filesystem::path file;
    try {
      file = folder.onnx_file(req);
    } catch (const ModelLoadError&) {
      continue;  // no file for this dtype
    }
    std::printf("\n%s (dtype %s)\n", std::filesystem::relative(file, folder.root()).c_str(), dtype.c_str());
    const auto info = models::read_onnx_file_info(file);
    std::printf("  ir_version %lld, producer %s %s, opsets:", static_cast<long long>(info.ir_version),
                info.producer_name.c_str(), info.producer_version.c_str());
    for (const auto& [domain, version] : info.opsets) {
      std::printf(" %s=%lld", domain.empty() ? "ai.onnx" : domain.c_str(), static_cast<long long>(version));
    }
    std::printf("\n");
    const Session session(file, {});
    for (const auto& i : session.inputs())
      std::printf("  input   %-20s %-8s %s\n", i.name.c_str(), element_type_name(i.type), shape(i).c_str());
    for (const auto& o : session.outputs())
      std::printf("  output  %-20s %-8s %s\n", o.name.c_str(), element_type_name(o.type), shape(o).c_str());
  }
  return 0;
}

}  // namespace transformers::cli
