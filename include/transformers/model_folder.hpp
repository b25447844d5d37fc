// A model folder in the Transformers.js layout: config.json, tokenizer files, onnx/<name><suffix>.onnx.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace transformers {

// Typed view of the config.json fields that pipelines use.
struct ModelConfig {
  std::string model_type;
  std::vector<std::string> architectures;
  std::map<int, std::string> id2label;
  std::map<std::string, int> label2id;
  std::optional<std::string> problem_type;
  int num_labels = 0;  // from id2label when present
  int hidden_size = 0;
  int num_hidden_layers = 0;
  int num_attention_heads = 0;
  int intermediate_size = 0;
  int vocab_size = 0;
  int max_position_embeddings = 0;
  // config["transformers.js_config"]["dtype"]: one dtype for every file, or (an object) one per model file
  // name, as Transformers.js reads it. An unknown dtype or a wrong type is a ModelLoadError naming the field.
  std::optional<std::string> transformers_js_dtype;
  std::map<std::string, std::string> transformers_js_dtype_by_file;

  // Throws ModelLoadError naming the file and the field.
  static ModelConfig from_file(const std::filesystem::path& config_json);
  static ModelConfig from_json(const std::string& json_text, const std::string& origin = "config.json");
  std::string label(int index) const;  // id2label[index] or "LABEL_<index>", as Transformers.js
};

// The dtypes Transformers.js knows, and the file-name suffix each maps to.
const std::vector<std::string>& known_dtypes();
// "fp32" -> "", "q8" -> "_quantized", ...; throws InvalidInputError listing the known ones.
std::string dtype_suffix(const std::string& dtype);

struct ModelFileRequest {
  std::string dtype = "auto";            // "auto": config's transformers.js_config.dtype, else fp32 (CPU)
  std::string model_file_name = "model";  // as Transformers.js' model_file_name option
  std::string subfolder = "onnx";
};

class ModelFolder {
 public:
  // Throws ModelLoadError if the folder or config.json is missing (listing what the folder holds).
  explicit ModelFolder(const std::filesystem::path& root);

  const std::filesystem::path& root() const { return root_; }
  const ModelConfig& config() const { return config_; }
  std::filesystem::path tokenizer_json() const;         // throws if missing
  std::filesystem::path tokenizer_config_json() const;  // may not exist; tokenizer defaults apply
  // The dtype actually selected for a request ("auto" resolved). An empty dtype is an InvalidInputError.
  std::string resolve_dtype(const ModelFileRequest& request) const;
  // Where resolve_dtype's answer came from, for messages: "requested", "config.json transformers.js_config.dtype"
  // or "default".
  std::string dtype_origin(const ModelFileRequest& request) const;
  // The ONNX file for a request; throws ModelLoadError naming the path and listing the ONNX files present.
  std::filesystem::path onnx_file(const ModelFileRequest& request) const;
  // "name (size)" of every file, for error messages and `inspect`.
  std::vector<std::string> listing() const;

 private:
  std::filesystem::path root_;
  ModelConfig config_;
};

}  // namespace transformers
