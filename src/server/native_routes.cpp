// POST /v1/pipeline/{task} {"model", "inputs", "options"}: exactly what Output::to_json() gives for the
// same call, Transformers.js-shaped.
#include "server/api_error.hpp"
#include "server/routes.hpp"
#include "server/served_models.hpp"

namespace transformers::server {

namespace {

// Every string in `inputs` within the per-text limit, a list within the count limit (any input shape).
void check_inputs(const nlohmann::json& inputs, const ServeOptions& options, int depth = 0) {
  if (depth > 4) throw ApiError(400, "invalid_input", "\"inputs\" is nested too deeply");
  if (inputs.is_string()) {
    if (inputs.get_ref<const std::string&>().size() > options.max_input_bytes) check_texts({inputs.get<std::string>()}, options);
  } else if (inputs.is_array() || inputs.is_object()) {
    if (inputs.is_array() && inputs.size() > options.max_inputs) check_texts(std::vector<std::string>(inputs.size()), options);
    for (const auto& v : inputs) check_inputs(v, options, depth + 1);
  }
}

std::string string_field(const nlohmann::json& body, const char* name) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return "";
  if (!it->is_string()) throw ApiError(400, "invalid_input", std::string("\"") + name + "\" must be a string");
  return it->get<std::string>();
}

}  // namespace

HttpResponse native_pipeline(RouteContext& ctx, const HttpRequest& req) {
  const std::string task = canonical_task(ctx.params.at("task"));
  const nlohmann::json body = json_body(req);
  for (const auto& [key, v] : body.items()) {
    if (key != "model" && key != "inputs" && key != "options") {
      throw ApiError(400, "invalid_input", "unknown field \"" + key + "\" (the body takes model, inputs, options)");
    }
  }
  const ModelSpec& spec = model_for(ctx, string_field(body, "model"), task);
  auto inputs = body.find("inputs");
  if (inputs == body.end()) throw ApiError(400, "invalid_input", "the body has no \"inputs\"");
  check_inputs(*inputs, ctx.options);
  std::string options_json = "{}";
  if (auto o = body.find("options"); o != body.end() && !o->is_null()) {
    if (!o->is_object()) throw ApiError(400, "invalid_input", "\"options\" must be an object");
    options_json = o->dump();
  }
  const Output out = ctx.models.call_json(spec.name, inputs->dump(), options_json);
  return json_text_response(out.to_json());
}

}  // namespace transformers::server
