// `transformers-cpp inspect DIR`: what a model folder holds and what its graphs take and return.
#include <cstdio>

#include <nlohmann/json.hpp>

#include "cli/args.hpp"
#include "cli/json_out.hpp"
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

// The folder's ONNX files, one per dtype that has one.
std::vector<std::pair<std::string, std::filesystem::path>> onnx_files(const ModelFolder& folder) {
  std::vector<std::pair<std::string, std::filesystem::path>> files;
  for (const auto& dtype : known_dtypes()) {
    ModelFileRequest req;
    req.dtype = dtype;
    try {
      files.emplace_back(dtype, folder.onnx_file(req));
    } catch (const ModelLoadError&) {
      // no file for this dtype
    }
  }
  return files;
}

nlohmann::ordered_json tensors_json(const std::vector<TensorInfo>& tensors) {
  auto a = nlohmann::ordered_json::array();
  for (const auto& t : tensors) a.push_back({{"name", t.name}, {"type", element_type_name(t.type)}, {"shape", shape(t)}});
  return a;
}

int inspect_json(const ModelFolder& folder) {
  const ModelConfig& c = folder.config();
  nlohmann::ordered_json j;
  j["folder"] = folder.root().string();
  j["model_type"] = c.model_type;
  j["architectures"] = c.architectures;
  j["sizes"] = {{"hidden", c.hidden_size}, {"layers", c.num_hidden_layers}, {"heads", c.num_attention_heads},
                {"intermediate", c.intermediate_size}, {"vocab", c.vocab_size}, {"positions", c.max_position_embeddings}};
  j["problem_type"] = c.problem_type ? nlohmann::ordered_json(*c.problem_type) : nlohmann::ordered_json();
  j["labels"] = nlohmann::ordered_json::object();
  for (const auto& [id, label] : c.id2label) j["labels"][std::to_string(id)] = label;
  j["files"] = folder.listing();
  j["onnx"] = nlohmann::ordered_json::array();
  for (const auto& [dtype, file] : onnx_files(folder)) {
    const auto info = models::read_onnx_file_info(file);
    nlohmann::ordered_json opsets = nlohmann::ordered_json::object();
    for (const auto& [domain, version] : info.opsets) opsets[domain.empty() ? "ai.onnx" : domain] = version;
    const Session session(file, {});
    j["onnx"].push_back({{"file", std::filesystem::relative(file, folder.root()).string()},
                         {"dtype", dtype},
                         {"ir_version", info.ir_version},
                         {"producer", info.producer_name + " " + info.producer_version},
                         {"opsets", opsets},
                         {"inputs", tensors_json(session.inputs())},
                         {"outputs", tensors_json(session.outputs())}});
  }
  print_json(j);
  return 0;
}
}  // namespace

int inspect_command(const Args& args) {
  if (args.positionals().size() != 1) throw InvalidInputError("inspect: give exactly one model folder");
  const ModelFolder folder(args.positionals()[0]);
  if (args.has("json")) return inspect_json(folder);
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
  const auto cache = weights_cache_entries();
  uint64_t cache_bytes = 0;
  for (const auto& e : cache) cache_bytes += e.bytes;
  std::printf("\nweights cache %s: %zu entries, %.1f MiB (transformers-cpp cache list)\n",
              default_weights_cache_dir().c_str(), cache.size(), cache_bytes / 1048576.0);

  for (const auto& [dtype, file] : onnx_files(folder)) {
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
