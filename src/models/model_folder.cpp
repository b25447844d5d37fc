#include <algorithm>

#include "core/files.hpp"
#include "transformers/error.hpp"
#include "transformers/model_folder.hpp"

namespace transformers {

namespace fs = std::filesystem;

namespace {
// Transformers.js' DEFAULT_DTYPE_SUFFIX_MAPPING (utils/dtypes.js), in its order.
const std::vector<std::pair<std::string, std::string>>& dtype_table() {
  static const std::vector<std::pair<std::string, std::string>> table = {
      {"fp32", ""},         {"fp16", "_fp16"},   {"int8", "_int8"},   {"uint8", "_uint8"},
      {"q8", "_quantized"}, {"q4", "_q4"},       {"q2", "_q2"},       {"q1", "_q1"},
      {"q4f16", "_q4f16"},  {"q2f16", "_q2f16"}, {"q1f16", "_q1f16"}, {"bnb4", "_bnb4"}};
  return table;
}

std::string join(const std::vector<std::string>& items, const char* sep) {
  std::string s;
  for (const auto& i : items) s += (s.empty() ? "" : sep) + i;
  return s;
}

std::vector<std::string> list_dir(const fs::path& dir, const fs::path& relative_to) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (it->is_regular_file(ec)) {
      out.push_back(fs::relative(it->path(), relative_to, ec).string() + " (" +
                    core::human_bytes(it->file_size(ec)) + ")");
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}
}  // namespace

const std::vector<std::string>& known_dtypes() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const auto& [k, v] : dtype_table()) n.push_back(k);
    return n;
  }();
  return names;
}

std::string dtype_suffix(const std::string& dtype) {
  for (const auto& [k, v] : dtype_table())
    if (k == dtype) return v;
  throw InvalidInputError("invalid dtype '" + dtype + "'; known: auto, " + join(known_dtypes(), ", "));
}

ModelFolder::ModelFolder(const fs::path& root) : root_(root) {
  std::error_code ec;
  if (!fs::exists(root, ec)) throw ModelLoadError("model folder not found: " + root.string());
  if (!fs::is_directory(root, ec)) throw ModelLoadError("model path is not a folder: " + root.string());
  const fs::path config = root / "config.json";
  if (!fs::exists(config, ec)) {
    const auto files = listing();
    throw ModelLoadError("config.json not found: " + config.string() + "; the folder holds: " +
                         (files.empty() ? std::string("nothing") : join(files, ", ")));
  }
  config_ = ModelConfig::from_file(config);
}

fs::path ModelFolder::tokenizer_json() const {
  fs::path p = root_ / "tokenizer.json";
  std::error_code ec;
  if (!fs::exists(p, ec)) {
    throw ModelLoadError("tokenizer.json not found: " + p.string() + "; the folder holds: " + join(listing(), ", "));
  }
  return p;
}

fs::path ModelFolder::tokenizer_config_json() const { return root_ / "tokenizer_config.json"; }

std::string ModelFolder::resolve_dtype(const ModelFileRequest& request) const {
  // Transformers.js selectDtype on the CPU device: explicit dtype, else config's
  // transformers.js_config.dtype, else fp32. An unknown explicit dtype is an error here (not a silent fallback).
  if (request.dtype.empty()) throw InvalidInputError("dtype is empty; give one of auto, " + join(known_dtypes(), ", "));
  if (request.dtype != "auto") {
    dtype_suffix(request.dtype);  // validates
    return request.dtype;
  }
  // Validated when config.json was read.
  if (auto it = config_.transformers_js_dtype_by_file.find(request.model_file_name);
      it != config_.transformers_js_dtype_by_file.end() && it->second != "auto")
    return it->second;
  if (config_.transformers_js_dtype && *config_.transformers_js_dtype != "auto") return *config_.transformers_js_dtype;
  return "fp32";
}

std::string ModelFolder::dtype_origin(const ModelFileRequest& request) const {
  if (request.dtype != "auto") return "requested";
  if (auto it = config_.transformers_js_dtype_by_file.find(request.model_file_name);
      it != config_.transformers_js_dtype_by_file.end() && it->second != "auto")
    return "config.json transformers.js_config.dtype." + request.model_file_name;
  if (config_.transformers_js_dtype && *config_.transformers_js_dtype != "auto")
    return "config.json transformers.js_config.dtype";
  return "default";
}

fs::path ModelFolder::onnx_file(const ModelFileRequest& request) const {
  const std::string dtype = resolve_dtype(request);
  if (request.model_file_name.empty() || request.model_file_name.find("..") != std::string::npos) {
    throw InvalidInputError("invalid model_file_name '" + request.model_file_name + "'");
  }
  const fs::path p = root_ / request.subfolder / (request.model_file_name + dtype_suffix(dtype) + ".onnx");
  if (const std::string why = core::not_a_regular_file(p); !why.empty()) {
    std::vector<std::string> onnx;
    for (const auto& f : listing())
      if (f.find(".onnx") != std::string::npos) onnx.push_back(f);
    const std::string origin = dtype_origin(request);
    throw ModelLoadError("ONNX file for dtype '" + dtype + "'" + (origin == "requested" ? "" : " (from " + origin + ")") +
                         " " + why + ": " + p.string() + "; ONNX files present: " +
                         (onnx.empty() ? std::string("none") : join(onnx, ", ")));
  }
  return p;
}

std::vector<std::string> ModelFolder::listing() const { return list_dir(root_, root_); }

}  // namespace transformers
