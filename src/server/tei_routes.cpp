// Hugging Face text-embeddings-inference's routes: POST /embed, POST /predict, GET /info, with TEI's
// request fields and response shapes. TEI serves one model; here a body may name one with "model" (an
// extension), else the only model of the task answers.
#include "server/api_error.hpp"
#include "server/routes.hpp"
#include "server/served_models.hpp"
#include "transformers/model_folder.hpp"

namespace transformers::server {

namespace {

std::string model_name(const nlohmann::json& body) {
  auto it = body.find("model");
  if (it == body.end() || it->is_null()) return "";
  if (!it->is_string()) throw ApiError(400, "invalid_input", "\"model\" must be a string");
  return it->get<std::string>();
}

bool bool_field(const nlohmann::json& body, const char* name, bool fallback) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return fallback;
  if (!it->is_boolean()) throw ApiError(400, "invalid_input", std::string("\"") + name + "\" must be true or false");
  return it->get<bool>();
}

void only_fields(const nlohmann::json& body, std::initializer_list<const char*> known) {
  for (const auto& [key, v] : body.items()) {
    bool ok = false;
    for (const char* k : known) ok = ok || key == k;
    if (!ok) {
      std::string list;
      for (const char* k : known) list += (list.empty() ? "" : ", ") + std::string(k);
      throw ApiError(400, "invalid_input", "unknown field \"" + key + "\" (known: " + list + ")");
    }
  }
}

}  // namespace

HttpResponse tei_embed(RouteContext& ctx, const HttpRequest& req) {
  const nlohmann::json body = json_body(req);
  only_fields(body, {"inputs", "normalize", "truncate", "model", "prompt_name", "truncation_direction"});
  // "truncate" is accepted and ignored: inputs past the model's length are always cut to it (as Transformers.js).
  const ModelSpec& spec = model_for(ctx, model_name(body), "feature-extraction");
  const auto texts = texts_of(body.value("inputs", nlohmann::json()), "inputs", ctx.options);
  const auto rows = embeddings_of(ctx.models.call_each(spec.name, texts, {}, embedding_options(spec, bool_field(body, "normalize", true))));
  return json_response(rows);
}

HttpResponse tei_predict(RouteContext& ctx, const HttpRequest& req) {
  const nlohmann::json body = json_body(req);
  only_fields(body, {"inputs", "raw_scores", "truncate", "model", "truncation_direction"});
  const ModelSpec& spec = model_for(ctx, model_name(body), "text-classification");
  const nlohmann::json& in = body.value("inputs", nlohmann::json());
  // TEI: a string, a list of strings, a pair [a, b], or a list of pairs [[a, b], ...].
  std::vector<std::string> texts, pairs;
  bool batched = false;
  auto is_pair = [](const nlohmann::json& v) { return v.is_array() && v.size() == 2 && v[0].is_string() && v[1].is_string(); };
  if (in.is_array() && !in.empty() && in[0].is_array()) {
    batched = true;
    for (const auto& p : in) {
      if (!is_pair(p)) throw ApiError(400, "invalid_input", "\"inputs\": a list of lists must hold pairs [text, text_pair]");
      texts.push_back(p[0]);
      pairs.push_back(p[1]);
    }
  } else {
    texts = texts_of(in, "inputs", ctx.options, &batched);
  }
  check_texts(texts, ctx.options);
  check_texts(pairs, ctx.options);
  TextClassificationOptions o;
  o.top_k = std::nullopt;  // every label, best first, as TEI answers
  if (bool_field(body, "raw_scores", false)) o.function_to_apply = FunctionToApply::none;
  const auto outputs = ctx.models.call_each(spec.name, texts, pairs, o);
  nlohmann::json out = nlohmann::json::array();
  for (const Output& r : outputs) {
    nlohmann::json labels = nlohmann::json::array();
    for (const auto& ls : r.labels().at(0)) labels.push_back({{"score", ls.score}, {"label", ls.label}});
    out.push_back(std::move(labels));
  }
  return json_response(batched ? out : out.at(0));
}

HttpResponse tei_info(RouteContext& ctx, const HttpRequest& req) {
  std::string name;
  if (req.query.rfind("model=", 0) == 0) name = req.query.substr(6);
  const auto names = ctx.models.names();
  if (name.empty()) {
    if (names.empty()) throw ApiError(404, "model_not_found", "no model is served");
    name = names.front();
  }
  const ModelSpec& spec = model_for(ctx, name);
  const ModelConfig config = ModelConfig::from_file(spec.dir / "config.json");
  nlohmann::json info = {
      {"model_id", spec.name},
      {"model_dtype", ctx.options.pipeline.dtype == "auto" ? "float32" : ctx.options.pipeline.dtype},
      {"max_concurrent_requests", ctx.options.max_concurrent},
      {"max_client_batch_size", ctx.options.max_inputs},
      {"max_batch_requests", ctx.options.batching.max_batch_size},
      {"max_batch_tokens", ctx.options.batching.max_batch_tokens},
      {"version", TRANSFORMERS_CPP_VERSION},
      {"task", spec.task},
      {"models", names},
  };
  if (spec.task == "feature-extraction") {
    const auto o = embedding_options(spec, true);
    info["model_type"] = {{"embedding", {{"pooling", o.pooling == Pooling::cls ? "cls" : o.pooling == Pooling::last_token ? "last_token" : "mean"}}}};
  } else if (spec.task == "text-classification") {
    nlohmann::json id2label = nlohmann::json::object();
    for (int i = 0; i < config.num_labels; ++i) id2label[std::to_string(i)] = config.label(i);
    info["model_type"] = {{"classifier", {{"id2label", id2label}}}};
  }
  return json_response(info);
}

}  // namespace transformers::server
