// The request helpers every protocol's routes share: texts and their limits, the model a request names,
// the embedding options of a model.
#include <filesystem>
#include <fstream>

#include "server/api_error.hpp"
#include "server/routes.hpp"
#include "server/served_models.hpp"

namespace transformers::server {

void check_texts(const std::vector<std::string>& texts, const ServeOptions& options) {
  if (texts.size() > options.max_inputs) {
    throw ApiError(413, "too_large", std::to_string(texts.size()) + " inputs in one request; the limit is " +
                                         std::to_string(options.max_inputs) + " (--max-inputs)");
  }
  for (size_t i = 0; i < texts.size(); ++i) {
    if (texts[i].size() > options.max_input_bytes) {
      throw ApiError(413, "too_large", "input " + std::to_string(i) + " has " + std::to_string(texts[i].size()) +
                                           " bytes; the limit is " + std::to_string(options.max_input_bytes) +
                                           " (--max-input-bytes)");
    }
  }
}

std::vector<std::string> texts_of(const nlohmann::json& value, const std::string& field, const ServeOptions& options,
                                  bool* batched) {
  std::vector<std::string> texts;
  if (value.is_string()) {
    texts.push_back(value.get<std::string>());
    if (batched) *batched = false;
  } else if (value.is_array()) {
    if (value.empty()) throw ApiError(400, "invalid_input", "\"" + field + "\" is an empty list");
    if (value.size() > options.max_inputs) check_texts(std::vector<std::string>(value.size()), options);
    for (size_t i = 0; i < value.size(); ++i) {
      if (!value[i].is_string()) {
        throw ApiError(400, "invalid_input", "\"" + field + "\"[" + std::to_string(i) + "] must be a string, got " +
                                                 value[i].type_name());
      }
      texts.push_back(value[i].get<std::string>());
    }
    if (batched) *batched = true;
  } else {
    throw ApiError(400, "invalid_input", "\"" + field + "\" must be a string or a list of strings, got " +
                                             (value.is_null() ? std::string("nothing") : std::string(value.type_name())));
  }
  check_texts(texts, options);
  return texts;
}

const ModelSpec& model_for(RouteContext& ctx, const std::string& name, const std::string& task_wanted) {
  const ModelSpec& spec = name.empty() ? ctx.models.default_for_task(task_wanted) : ctx.models.spec(name);
  ctx.model_label = spec.name;
  if (!task_wanted.empty() && spec.task != canonical_task(task_wanted)) {
    throw ApiError(400, "invalid_input", "model '" + spec.name + "' does " + spec.task + ", not " + canonical_task(task_wanted));
  }
  return spec;
}

FeatureExtractionOptions embedding_options(const ModelSpec& spec, bool normalize) {
  FeatureExtractionOptions o;
  o.pooling = Pooling::mean;
  o.normalize = normalize;
  // sentence-transformers' layout says how the model was trained to pool.
  std::ifstream in(spec.dir / "1_Pooling" / "config.json");
  if (in) {
    const nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
    auto flag = [&](const char* k) { return j.is_object() && j.value(k, false) == true; };
    if (flag("pooling_mode_cls_token")) o.pooling = Pooling::cls;
    else if (flag("pooling_mode_lasttoken")) o.pooling = Pooling::last_token;
  }
  return o;
}

std::vector<std::vector<float>> embeddings_of(const std::vector<Output>& outputs) {
  std::vector<std::vector<float>> rows;
  rows.reserve(outputs.size());
  for (const Output& o : outputs) {
    const Tensor& t = o.tensor();
    if (t.rank() != 2 || t.dims[0] != 1) {
      throw ApiError(500, "internal", "an embedding came back as " + t.dims_string() + ", not [1, hidden]");
    }
    rows.push_back(t.data);
  }
  return rows;
}

}  // namespace transformers::server
