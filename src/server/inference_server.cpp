#include "server/inference_server.hpp"

#include <chrono>
#include <optional>
#include <vector>

#include "server/admission.hpp"
#include "server/api_error.hpp"
#include "server/api_key.hpp"
#include "server/kserve_grpc.hpp"
#include "server/metrics.hpp"
#include "server/routes.hpp"
#include "server/served_models.hpp"

namespace transformers::server {

namespace {

struct Route {
  const char* method;
  const char* pattern;  // segments; "{x}" captures one
  RouteFunction run;
  bool open;       // served without the API key (health)
  bool inference;  // takes an admission slot
};

HttpResponse tei_health(RouteContext&, const HttpRequest&) { return json_response(nlohmann::json::object()); }

const std::vector<Route>& routes() {
  static const std::vector<Route> table = {
      {"GET", "/health", tei_health, true, false},
      {"GET", "/v2/health/live", kserve_live, true, false},
      {"GET", "/v2/health/ready", kserve_ready, true, false},
      {"GET", "/metrics", nullptr, false, false},  // answered by the server itself
      {"GET", "/v1/models", openai_models, false, false},
      {"POST", "/v1/embeddings", openai_embeddings, false, true},
      {"POST", "/v1/completions", openai_completions, false, true},
      {"POST", "/v1/chat/completions", openai_chat, false, true},
      {"POST", "/embed", tei_embed, false, true},
      {"POST", "/predict", tei_predict, false, true},
      {"GET", "/info", tei_info, false, false},
      {"POST", "/v1/pipeline/{task}", native_pipeline, false, true},
      {"GET", "/v2", kserve_server, false, false},
      {"GET", "/v2/models/{name}", kserve_model, false, false},
      {"GET", "/v2/models/{name}/versions/{version}", kserve_model, false, false},
      {"GET", "/v2/models/{name}/ready", kserve_model_ready, false, false},
      {"GET", "/v2/models/{name}/versions/{version}/ready", kserve_model_ready, false, false},
      {"POST", "/v2/models/{name}/infer", kserve_infer, false, true},
      {"POST", "/v2/models/{name}/versions/{version}/infer", kserve_infer, false, true},
      {"POST", "/v2/repository/index", kserve_index, false, false},
      {"POST", "/v2/repository/models/{name}/load", kserve_load, false, false},
      {"POST", "/v2/repository/models/{name}/unload", kserve_unload, false, false},
  };
  return table;
}

std::vector<std::string_view> segments(std::string_view path) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start < path.size()) {
    if (path[start] == '/') {
      ++start;
      continue;
    }
    const size_t end = std::min(path.find('/', start), path.size());
    out.push_back(path.substr(start, end - start));
    start = end;
  }
  return out;
}

bool match(const char* pattern, std::string_view path, std::map<std::string, std::string>& params) {
  const auto want = segments(pattern), got = segments(path);
  if (want.size() != got.size()) return false;
  std::map<std::string, std::string> captured;
  for (size_t i = 0; i < want.size(); ++i) {
    if (want[i].size() > 2 && want[i].front() == '{') captured[std::string(want[i].substr(1, want[i].size() - 2))] = std::string(got[i]);
    else if (want[i] != got[i]) return false;
  }
  params = std::move(captured);
  return true;
}

}  // namespace

struct InferenceServer::State {
  ServeOptions options;
  ServedModels models;
  Metrics metrics;
  Admission admission;
  std::optional<HttpServer> http;
  std::optional<KServeGrpcServer> grpc;
  uint16_t grpc_port = 0;
  explicit State(ServeOptions o)
      : options(std::move(o)), models(options), admission(options.max_concurrent, options.max_queue) {}
};

InferenceServer::InferenceServer(ServeOptions options) : state_(std::make_unique<State>(std::move(options))) {}

InferenceServer::~InferenceServer() { stop(); }

uint16_t InferenceServer::start(const std::function<void(const std::string&)>& log) {
  State& s = *state_;
  if (s.options.control == ModelControl::explicit_ || s.options.preload) {
    for (const auto& name : s.models.names()) {
      try {
        s.models.load(name);
        if (log) log("loaded " + name);
      } catch (const std::exception& e) {
        if (log) log("could not load " + name + ": " + e.what());
      }
    }
  }
  HttpLimits limits = s.options.http;
  // Every admitted request can hold a handler thread while it waits; a few more keep health and metrics
  // answering when all of them are busy.
  limits.handler_threads = s.options.max_concurrent + s.options.max_queue + 4;
  if (s.options.grpc_port >= 0) {
    s.grpc.emplace(s.models, s.metrics, s.admission, s.options);
    s.grpc_port = s.grpc->start(s.options.host, static_cast<uint16_t>(s.options.grpc_port));
  }
  s.http.emplace(limits, [this](const HttpRequest& r) { return handle(r); });
  return s.http->start(s.options.host, s.options.port);
}

uint16_t InferenceServer::grpc_port() const { return state_->grpc_port; }

void InferenceServer::stop(std::chrono::milliseconds drain) {
  if (state_ && state_->http) {
    state_->http->stop(drain);
    state_->http.reset();
  }
  if (state_ && state_->grpc) {
    state_->grpc->stop(drain);
    state_->grpc.reset();
  }
}

HttpResponse InferenceServer::handle(const HttpRequest& request) {
  State& s = *state_;
  const auto start = std::chrono::steady_clock::now();
  RouteContext ctx{s.models, s.metrics, s.admission, s.options, {}, "", nullptr};
  const Route* route = nullptr;
  bool path_known = false;
  for (const Route& r : routes()) {
    std::map<std::string, std::string> params;
    if (!match(r.pattern, request.path, params)) continue;
    path_known = true;
    if (request.method == r.method || (request.method == "HEAD" && std::string(r.method) == "GET")) {
      route = &r;
      ctx.params = std::move(params);
      break;
    }
  }
  HttpResponse res;
  try {
    if (!route) {
      throw path_known ? ApiError(405, "method_not_allowed", request.method + " is not allowed on " + request.path)
                       : ApiError(404, "not_found", "no route " + request.method + " " + request.path + " (docs/server.md lists them)");
    }
    if (!route->open && !s.options.api_key.empty()) {
      std::string given;
      if (auto a = request.header("authorization"); a && a->rfind("Bearer ", 0) == 0) given = a->substr(7);
      else if (auto k = request.header("x-api-key")) given = *k;
      if (!api_key_matches(given, s.options.api_key)) throw ApiError(401, "unauthorized", "a valid API key is required (Authorization: Bearer KEY)");
    }
    if (!route->run) {
      res.content_type = "text/plain; version=0.0.4";
      res.body = s.metrics.render(s.models, s.admission);
    } else {
      if (route->inference) ctx.ticket = std::make_shared<Admission::Ticket>(s.admission.enter());
      res = route->run(ctx, request);
    }
  } catch (const std::exception& e) {
    res = error_response(api_error_of(e));
  }
  if (request.method == "HEAD") res.body.clear();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  s.metrics.record_request(route ? route->pattern : "unmatched", ctx.model_label, res.status, seconds);
  return res;
}

}  // namespace transformers::server
