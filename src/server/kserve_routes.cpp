// KServe v2 / Open Inference Protocol over REST: health, server and model metadata, readiness, inference
// with named tensors, and the model repository extension (index, load, unload); the protocol itself (tensors
// per task, inference) is kserve_core's, shared with the gRPC service.
#include "server/api_error.hpp"
#include "server/kserve_core.hpp"
#include "server/routes.hpp"
#include "server/served_models.hpp"

namespace transformers::server {

namespace {

using nlohmann::json;

std::string version_of(const RouteContext& ctx) {
  auto it = ctx.params.find("version");
  return it == ctx.params.end() ? "" : it->second;
}

void flatten(const json& v, std::vector<const json*>& out, size_t limit) {
  if (v.is_array()) {
    for (const auto& e : v) flatten(e, out, limit);
  } else if (out.size() <= limit) {
    out.push_back(&v);
  }
}

KServeTensor tensor_from_json(const json& t, const ServeOptions& options) {
  if (!t.is_object() || !t.contains("name") || !t["name"].is_string()) throw ApiError(400, "invalid_input", "every input tensor needs a \"name\"");
  KServeTensor out;
  out.name = t["name"];
  if (!t.contains("datatype") || !t["datatype"].is_string()) throw ApiError(400, "invalid_input", "input '" + out.name + "' has no datatype");
  out.datatype = t["datatype"];
  if (!t.contains("shape") || !t["shape"].is_array()) throw ApiError(400, "invalid_input", "input '" + out.name + "' has no shape");
  for (const auto& d : t["shape"]) {
    if (!d.is_number_integer()) throw ApiError(400, "invalid_input", "input '" + out.name + "': shape must be integers");
    out.shape.push_back(d.get<int64_t>());
  }
  std::vector<const json*> flat;
  if (t.contains("data")) flatten(t["data"], flat, options.max_inputs);  // more than the limit: refused below
  for (const json* e : flat) {
    if (!e->is_string()) throw ApiError(400, "invalid_input", "input '" + out.name + "': BYTES data must be strings");
    out.bytes.push_back(e->get<std::string>());
  }
  return out;
}

json tensor_to_json(const KServeTensor& t) {
  json j = {{"name", t.name}, {"datatype", t.datatype}, {"shape", t.shape}};
  if (t.datatype == "FP32") j["data"] = t.fp32;
  else j["data"] = t.bytes;
  return j;
}

json metadata_to_json(const KServeTensorMetadata& m) { return {{"name", m.name}, {"datatype", m.datatype}, {"shape", m.shape}}; }

}  // namespace

HttpResponse kserve_live(RouteContext&, const HttpRequest&) { return json_response({{"live", true}}); }

HttpResponse kserve_ready(RouteContext& ctx, const HttpRequest&) {
  bool ready = true;
  for (const auto& i : ctx.models.infos()) ready = ready && i.ready;
  return json_response({{"ready", ready}}, ready ? 200 : 503);
}

HttpResponse kserve_server(RouteContext&, const HttpRequest&) {
  return json_response({{"name", "transformers-cpp"}, {"version", TRANSFORMERS_CPP_VERSION}, {"extensions", {"model_repository"}}});
}

HttpResponse kserve_model(RouteContext& ctx, const HttpRequest&) {
  kserve_check_version(version_of(ctx));
  const KServeModelMetadata m = kserve_model_metadata(model_for(ctx, ctx.params.at("name")));
  json inputs = json::array(), outputs = json::array();
  for (const auto& t : m.inputs) inputs.push_back(metadata_to_json(t));
  for (const auto& t : m.outputs) outputs.push_back(metadata_to_json(t));
  return json_response({{"name", m.name}, {"versions", {kKServeModelVersion}}, {"platform", m.platform},
                        {"parameters", {{"task", m.task}}}, {"inputs", inputs}, {"outputs", outputs}});
}

HttpResponse kserve_model_ready(RouteContext& ctx, const HttpRequest&) {
  kserve_check_version(version_of(ctx));
  const ModelSpec& spec = model_for(ctx, ctx.params.at("name"));
  const bool ready = ctx.models.info(spec.name).ready;
  return json_response({{"name", spec.name}, {"ready", ready}}, ready ? 200 : 503);
}

HttpResponse kserve_infer(RouteContext& ctx, const HttpRequest& req) {
  const json body = json_body(req);
  KServeInferRequest r;
  r.model = model_for(ctx, ctx.params.at("name")).name;
  r.version = version_of(ctx);
  if (body.contains("id") && body["id"].is_string()) r.id = body["id"];
  if (!body.contains("inputs") || !body["inputs"].is_array() || body["inputs"].empty()) {
    throw ApiError(400, "invalid_input", "\"inputs\" must be a non-empty list of tensors");
  }
  for (const auto& t : body["inputs"]) r.inputs.push_back(tensor_from_json(t, ctx.options));
  if (body.contains("parameters") && !body["parameters"].is_null()) r.parameters = body["parameters"];
  if (body.contains("outputs") && body["outputs"].is_array()) {
    for (const auto& o : body["outputs"]) {
      if (!o.is_object() || !o.contains("name") || !o["name"].is_string()) throw ApiError(400, "invalid_input", "every requested output needs a \"name\"");
      r.outputs.push_back(o["name"]);
    }
  }
  const KServeInferResponse res = kserve_infer(ctx.models, ctx.options, r);
  json outputs = json::array();
  for (const auto& t : res.outputs) outputs.push_back(tensor_to_json(t));
  json out = {{"model_name", res.model}, {"model_version", res.version}, {"outputs", outputs}};
  if (!res.id.empty()) out["id"] = res.id;
  return json_response(out);
}

HttpResponse kserve_index(RouteContext& ctx, const HttpRequest& req) {
  bool only_ready = false;
  if (!req.body.empty()) {
    const json body = json_body(req);
    if (body.contains("ready") && body["ready"].is_boolean()) only_ready = body["ready"];
  }
  json out = json::array();
  for (const auto& i : ctx.models.infos()) {
    if (only_ready && !i.loaded) continue;
    json e = {{"name", i.spec.name}, {"version", kKServeModelVersion}, {"state", i.loaded ? "READY" : "UNAVAILABLE"}};
    e["reason"] = i.loaded ? "" : i.last_error.empty() ? "not loaded" : i.last_error;
    out.push_back(std::move(e));
  }
  return json_response(out);
}

HttpResponse kserve_load(RouteContext& ctx, const HttpRequest&) {
  const ModelSpec& spec = model_for(ctx, ctx.params.at("name"));
  ctx.models.load(spec.name);
  return json_response(json::object());
}

HttpResponse kserve_unload(RouteContext& ctx, const HttpRequest&) {
  const ModelSpec& spec = model_for(ctx, ctx.params.at("name"));
  ctx.models.unload(spec.name);
  return json_response(json::object());
}

}  // namespace transformers::server
