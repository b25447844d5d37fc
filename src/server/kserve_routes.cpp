// KServe v2 / Open Inference Protocol over REST: health, server and model metadata, readiness, inference
// with named tensors, and the model repository extension (index, load, unload). Every model has one
// version, "1". Tensors per task (docs/server.md): text in as BYTES `text` [N] (question-answering:
// `question` and `context` [N]; text-classification may add `text_pair` [N]); out as `embeddings` FP32
// [N, D], `labels` BYTES + `scores` FP32 [N, K], `generated_text` BYTES [N, R], and for every task `json`
// BYTES [N]: each input's Transformers.js result as JSON text. `parameters` carry the task's options.
#include <set>

#include "server/api_error.hpp"
#include "server/routes.hpp"
#include "server/served_models.hpp"

namespace transformers::server {

namespace {

using nlohmann::json;

const char* kVersion = "1";

void check_version(const RouteContext& ctx) {
  auto it = ctx.params.find("version");
  if (it != ctx.params.end() && it->second != kVersion) {
    throw ApiError(404, "model_not_found", "model version '" + it->second + "' does not exist (every model has version 1)");
  }
}

void flatten(const json& v, std::vector<const json*>& out) {
  if (v.is_array()) {
    for (const auto& e : v) flatten(e, out);
  } else {
    out.push_back(&v);
  }
}

// A BYTES input tensor as strings, its shape checked against its data.
std::vector<std::string> bytes_input(const json& tensor, const ServeOptions& options) {
  const std::string name = tensor.value("name", "");
  if (!tensor.contains("datatype") || tensor["datatype"] != "BYTES") {
    throw ApiError(400, "invalid_input", "input '" + name + "': datatype must be \"BYTES\"");
  }
  if (!tensor.contains("shape") || !tensor["shape"].is_array()) throw ApiError(400, "invalid_input", "input '" + name + "' has no shape");
  int64_t elements = 1;
  for (const auto& d : tensor["shape"]) {
    if (!d.is_number_integer() || d.get<int64_t>() < 0) throw ApiError(400, "invalid_input", "input '" + name + "': shape must be non-negative integers");
    elements *= d.get<int64_t>();
    if (elements > int64_t(options.max_inputs)) check_texts(std::vector<std::string>(options.max_inputs + 1), options);
  }
  if (tensor["shape"].size() != 1 && !(tensor["shape"].size() == 2 && tensor["shape"][1] == 1)) {
    throw ApiError(400, "invalid_input", "input '" + name + "': shape must be [N] (or [N, 1]), got " + tensor["shape"].dump());
  }
  std::vector<const json*> flat;
  if (tensor.contains("data")) flatten(tensor["data"], flat);
  if (int64_t(flat.size()) != elements) {
    throw ApiError(400, "invalid_input", "input '" + name + "': shape " + tensor["shape"].dump() + " holds " + std::to_string(elements) +
                                             " elements, data has " + std::to_string(flat.size()));
  }
  std::vector<std::string> out;
  for (const json* e : flat) {
    if (!e->is_string()) throw ApiError(400, "invalid_input", "input '" + name + "': BYTES data must be strings");
    out.push_back(e->get<std::string>());
  }
  if (out.empty()) throw ApiError(400, "invalid_input", "input '" + name + "' is empty");
  check_texts(out, options);
  return out;
}

json bytes_tensor(const std::string& name, std::vector<int64_t> shape, json data) {
  return {{"name", name}, {"datatype", "BYTES"}, {"shape", std::move(shape)}, {"data", std::move(data)}};
}
json fp32_tensor(const std::string& name, std::vector<int64_t> shape, json data) {
  return {{"name", name}, {"datatype", "FP32"}, {"shape", std::move(shape)}, {"data", std::move(data)}};
}

struct TaskTensors {
  std::vector<const char*> inputs;   // required first
  std::vector<const char*> outputs;  // what a request without "outputs" gets
};

TaskTensors tensors_of(const std::string& task) {
  if (task == "feature-extraction") return {{"text"}, {"embeddings"}};
  if (task == "text-classification") return {{"text", "text_pair"}, {"labels", "scores"}};
  if (task == "zero-shot-classification") return {{"text"}, {"labels", "scores"}};
  if (task == "question-answering") return {{"question", "context"}, {"answer", "score"}};
  if (task == "text-generation" || task == "text2text-generation" || task == "translation" || task == "summarization") {
    return {{"text"}, {"generated_text"}};
  }
  return {{"text"}, {"json"}};  // token-classification, fill-mask: lists of objects per input
}

json tensor_metadata(const char* name, const std::string& task) {
  const std::string n = name;
  if (n == "embeddings") return {{"name", n}, {"datatype", "FP32"}, {"shape", {-1, -1}}};
  if (n == "scores") return {{"name", n}, {"datatype", "FP32"}, {"shape", {-1, -1}}};
  if (n == "score") return {{"name", n}, {"datatype", "FP32"}, {"shape", {-1}}};
  if (n == "labels" || (n == "generated_text" && task != "")) return {{"name", n}, {"datatype", "BYTES"}, {"shape", {-1, -1}}};
  return {{"name", n}, {"datatype", "BYTES"}, {"shape", {-1}}};
}

// The string a generation result holds for each input and sequence.
std::vector<std::vector<std::string>> generated_texts(const Output& out) {
  std::vector<std::vector<std::string>> rows;
  std::visit(
      [&](const auto& r) {
        using R = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<R, TextGenerationResult>) {
          for (const auto& in : r.inputs) {
            rows.emplace_back();
            for (const auto& g : in) rows.back().push_back(g.generated_text);
          }
        } else if constexpr (std::is_same_v<R, Text2TextGenerationResult> || std::is_same_v<R, TranslationResult> ||
                             std::is_same_v<R, SummarizationResult>) {
          rows = r.inputs;
        } else {
          throw ApiError(500, "internal", "not a generation result");
        }
      },
      out.result());
  return rows;
}

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
  check_version(ctx);
  const ModelSpec& spec = model_for(ctx, ctx.params.at("name"));
  const TaskTensors t = tensors_of(spec.task);
  json inputs = json::array(), outputs = json::array();
  for (const char* n : t.inputs) inputs.push_back({{"name", n}, {"datatype", "BYTES"}, {"shape", {-1}}});
  for (const char* n : t.outputs) outputs.push_back(tensor_metadata(n, spec.task));
  if (std::string(t.outputs[0]) != "json") outputs.push_back(tensor_metadata("json", ""));
  return json_response({{"name", spec.name}, {"versions", {kVersion}}, {"platform", "transformers-cpp"},
                        {"parameters", {{"task", spec.task}}}, {"inputs", inputs}, {"outputs", outputs}});
}

HttpResponse kserve_model_ready(RouteContext& ctx, const HttpRequest&) {
  check_version(ctx);
  const ModelSpec& spec = model_for(ctx, ctx.params.at("name"));
  const bool ready = ctx.models.info(spec.name).ready;
  return json_response({{"name", spec.name}, {"ready", ready}}, ready ? 200 : 503);
}

HttpResponse kserve_infer(RouteContext& ctx, const HttpRequest& req) {
  check_version(ctx);
  const ModelSpec& spec = model_for(ctx, ctx.params.at("name"));
  const json body = json_body(req);
  if (!body.contains("inputs") || !body["inputs"].is_array() || body["inputs"].empty()) {
    throw ApiError(400, "invalid_input", "\"inputs\" must be a non-empty list of tensors");
  }
  const TaskTensors t = tensors_of(spec.task);
  std::map<std::string, std::vector<std::string>> inputs;
  for (const auto& tensor : body["inputs"]) {
    if (!tensor.is_object() || !tensor.contains("name") || !tensor["name"].is_string()) {
      throw ApiError(400, "invalid_input", "every input tensor needs a \"name\"");
    }
    const std::string name = tensor["name"];
    bool known = false;
    for (const char* n : t.inputs) known = known || name == n;
    if (!known) throw ApiError(400, "invalid_input", "model '" + spec.name + "' (" + spec.task + ") has no input '" + name + "'");
    inputs[name] = bytes_input(tensor, ctx.options);
  }
  const std::string first = t.inputs[0];
  if (!inputs.count(first)) throw ApiError(400, "invalid_input", "the input '" + first + "' is missing");
  const std::vector<std::string>& texts = inputs[first];
  std::vector<std::string> pairs;
  if (t.inputs.size() > 1) {
    const std::string second = t.inputs[1];
    if (inputs.count(second)) pairs = inputs[second];
    if (spec.task == "question-answering" && pairs.empty()) throw ApiError(400, "invalid_input", "the input 'context' is missing");
    if (!pairs.empty() && pairs.size() != texts.size()) {
      throw ApiError(400, "invalid_input", "inputs '" + first + "' and '" + second + "' differ in length (" +
                                               std::to_string(texts.size()) + " and " + std::to_string(pairs.size()) + ")");
    }
  }
  // Options: the task's fields from "parameters" (embeddings: mean pooling and normalize unless said).
  json params = json::object();
  if (spec.task == "feature-extraction") {
    const auto d = embedding_options(spec, true);
    params = {{"pooling", d.pooling == Pooling::cls ? "cls" : d.pooling == Pooling::last_token ? "last_token" : "mean"}, {"normalize", true}};
  }
  if (body.contains("parameters") && !body["parameters"].is_null()) {
    if (!body["parameters"].is_object()) throw ApiError(400, "invalid_input", "\"parameters\" must be an object");
    for (const auto& [k, v] : body["parameters"].items()) params[k] = v;
  }
  if (spec.task == "feature-extraction" && params["pooling"] == "none") {
    throw ApiError(400, "invalid_input", "\"pooling\": \"none\" gives no [N, D] tensor; use mean, cls or last_token");
  }
  const CallOptions options = call_options_from_json(spec.task, params.dump());
  std::set<std::string> wanted;
  if (body.contains("outputs") && body["outputs"].is_array()) {
    for (const auto& o : body["outputs"]) {
      if (!o.is_object() || !o.contains("name") || !o["name"].is_string()) throw ApiError(400, "invalid_input", "every requested output needs a \"name\"");
      wanted.insert(o["name"].get<std::string>());
    }
  }
  if (wanted.empty()) wanted.insert(t.outputs.begin(), t.outputs.end());

  const std::vector<Output> rows = ctx.models.call_each(spec.name, texts, pairs, options);
  const int64_t n = static_cast<int64_t>(rows.size());
  std::map<std::string, json> produced;
  auto want = [&](const char* name) { return wanted.count(name) > 0; };
  if (want("json")) {
    json data = json::array();
    for (const Output& r : rows) data.push_back(r.to_json());
    produced["json"] = bytes_tensor("json", {n}, data);
  }
  if (spec.task == "feature-extraction" && want("embeddings")) {
    const auto e = embeddings_of(rows);
    json data = json::array();
    for (const auto& row : e)
      for (float v : row) data.push_back(v);
    produced["embeddings"] = fp32_tensor("embeddings", {n, e.empty() ? 0 : int64_t(e[0].size())}, data);
  }
  if (spec.task == "text-classification" || spec.task == "zero-shot-classification") {
    json labels = json::array(), scores = json::array();
    int64_t k = -1;
    for (const Output& r : rows) {
      std::vector<std::pair<std::string, float>> ls;
      if (spec.task == "text-classification") {
        for (const auto& l : r.labels().at(0)) ls.emplace_back(l.label, l.score);
      } else {
        const auto& z = r.get<ZeroShotClassificationResult>().inputs.at(0);
        for (size_t i = 0; i < z.labels.size(); ++i) ls.emplace_back(z.labels[i], z.scores[i]);
      }
      if (k >= 0 && k != int64_t(ls.size())) throw ApiError(500, "internal", "inputs got different numbers of labels");
      k = int64_t(ls.size());
      for (const auto& [l, s] : ls) {
        labels.push_back(l);
        scores.push_back(s);
      }
    }
    if (want("labels")) produced["labels"] = bytes_tensor("labels", {n, k}, labels);
    if (want("scores")) produced["scores"] = fp32_tensor("scores", {n, k}, scores);
  }
  if (spec.task == "question-answering") {
    json answers = json::array(), scores = json::array();
    for (const Output& r : rows) {
      const auto& a = r.get<QuestionAnsweringResult>().inputs.at(0).at(0);
      answers.push_back(a.answer);
      scores.push_back(a.score);
    }
    if (want("answer")) produced["answer"] = bytes_tensor("answer", {n}, answers);
    if (want("score")) produced["score"] = fp32_tensor("score", {n}, scores);
  }
  if (want("generated_text") && tensors_of(spec.task).outputs[0] == std::string("generated_text")) {
    json data = json::array();
    int64_t r = -1;
    for (const Output& o : rows) {
      const auto texts_of_row = generated_texts(o);
      for (const auto& s : texts_of_row.at(0)) data.push_back(s);
      r = int64_t(texts_of_row.at(0).size());
    }
    produced["generated_text"] = bytes_tensor("generated_text", {n, r}, data);
  }
  json outputs = json::array();
  for (const auto& name : wanted) {
    auto it = produced.find(name);
    if (it == produced.end()) throw ApiError(400, "invalid_input", "model '" + spec.name + "' (" + spec.task + ") has no output '" + name + "'");
    outputs.push_back(std::move(it->second));
  }
  json res = {{"model_name", spec.name}, {"model_version", kVersion}, {"outputs", outputs}};
  if (body.contains("id") && body["id"].is_string()) res["id"] = body["id"];
  return json_response(res);
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
    json e = {{"name", i.spec.name}, {"version", kVersion}, {"state", i.loaded ? "READY" : "UNAVAILABLE"}};
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
