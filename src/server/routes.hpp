// The routes of each protocol the server speaks (docs/server.md), each file one protocol: native
// (Transformers.js-shaped), OpenAI, text-embeddings-inference, KServe v2 / Open Inference Protocol.
// A route returns its response or throws (ApiError, or a library error that api_error_of maps); it names
// the model it served in `model_label` for the metrics.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/admission.hpp"
#include "server/http_server.hpp"
#include "server/serve_options.hpp"

namespace transformers::server {

class ServedModels;
class Metrics;

struct RouteContext {
  ServedModels& models;
  Metrics& metrics;
  Admission& admission;
  const ServeOptions& options;
  std::map<std::string, std::string> params;  // the route pattern's {captures}
  std::string model_label;                    // set by the route: the model it served
  // The request's admission slot (inference routes): a streamed response keeps it until the stream ends.
  std::shared_ptr<Admission::Ticket> ticket;
};

using RouteFunction = HttpResponse (*)(RouteContext&, const HttpRequest&);

// ---- inputs, shared by the routes ----
// A string or an array of strings (`field` names it in errors); the request limits applied: ApiError 400
// for another type, 413 for too many texts or a text too long. `batched` = an array was given.
std::vector<std::string> texts_of(const nlohmann::json& value, const std::string& field, const ServeOptions& options,
                                  bool* batched = nullptr);
void check_texts(const std::vector<std::string>& texts, const ServeOptions& options);
// The model a request names (`name` empty: the only model of `task`), checked to do `task` when given.
const ModelSpec& model_for(RouteContext& ctx, const std::string& name, const std::string& task_wanted = "");

// Pooling from the folder's 1_Pooling/config.json (sentence-transformers) where there is one, else mean.
FeatureExtractionOptions embedding_options(const ModelSpec& spec, bool normalize);
// Each unbatched [1, hidden] result as a row.
std::vector<std::vector<float>> embeddings_of(const std::vector<Output>& outputs);

// ---- native ----
HttpResponse native_pipeline(RouteContext& ctx, const HttpRequest& req);  // POST /v1/pipeline/{task}
// ---- OpenAI ----
HttpResponse openai_models(RouteContext& ctx, const HttpRequest& req);       // GET /v1/models
HttpResponse openai_embeddings(RouteContext& ctx, const HttpRequest& req);   // POST /v1/embeddings
HttpResponse openai_completions(RouteContext& ctx, const HttpRequest& req);  // POST /v1/completions
HttpResponse openai_chat(RouteContext& ctx, const HttpRequest& req);         // POST /v1/chat/completions
// ---- text-embeddings-inference ----
HttpResponse tei_embed(RouteContext& ctx, const HttpRequest& req);    // POST /embed
HttpResponse tei_predict(RouteContext& ctx, const HttpRequest& req);  // POST /predict
HttpResponse tei_info(RouteContext& ctx, const HttpRequest& req);     // GET /info
// ---- KServe v2 ----
HttpResponse kserve_live(RouteContext& ctx, const HttpRequest& req);         // GET /v2/health/live
HttpResponse kserve_ready(RouteContext& ctx, const HttpRequest& req);        // GET /v2/health/ready
HttpResponse kserve_server(RouteContext& ctx, const HttpRequest& req);       // GET /v2
HttpResponse kserve_model(RouteContext& ctx, const HttpRequest& req);        // GET /v2/models/{name}
HttpResponse kserve_model_ready(RouteContext& ctx, const HttpRequest& req);  // GET /v2/models/{name}/ready
HttpResponse kserve_infer(RouteContext& ctx, const HttpRequest& req);        // POST /v2/models/{name}/infer
HttpResponse kserve_index(RouteContext& ctx, const HttpRequest& req);        // POST /v2/repository/index
HttpResponse kserve_load(RouteContext& ctx, const HttpRequest& req);         // POST /v2/repository/models/{name}/load
HttpResponse kserve_unload(RouteContext& ctx, const HttpRequest& req);       // POST /v2/repository/models/{name}/unload

}  // namespace transformers::server
