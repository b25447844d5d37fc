#include "server/kserve_grpc.hpp"

#include <grpcpp/grpcpp.h>

#include <cstring>

#include "grpc_predict_v2.grpc.pb.h"
#include "server/admission.hpp"
#include "server/api_error.hpp"
#include "server/api_key.hpp"
#include "server/kserve_core.hpp"
#include "server/metrics.hpp"
#include "server/served_models.hpp"

namespace transformers::server {

namespace {

using nlohmann::json;

grpc::Status status_of(const ApiError& e) {
  grpc::StatusCode code = grpc::StatusCode::INTERNAL;
  switch (e.status()) {
    case 400: case 413: case 431: code = grpc::StatusCode::INVALID_ARGUMENT; break;
    case 401: code = grpc::StatusCode::UNAUTHENTICATED; break;
    case 404: code = grpc::StatusCode::NOT_FOUND; break;
    case 429: case 507: code = grpc::StatusCode::RESOURCE_EXHAUSTED; break;
    case 501: code = grpc::StatusCode::UNIMPLEMENTED; break;
    case 503: code = grpc::StatusCode::UNAVAILABLE; break;
    default: code = grpc::StatusCode::INTERNAL;
  }
  return grpc::Status(code, e.code() + ": " + e.what());
}

// A parameter as the JSON value the task's options read; a string holding a JSON list or object is that
// value (the protocol has no list parameters: zero-shot's candidate_labels travel as '["a", "b"]').
json parameter_json(const inference::InferParameter& p) {
  switch (p.parameter_choice_case()) {
    case inference::InferParameter::kBoolParam: return p.bool_param();
    case inference::InferParameter::kInt64Param: return p.int64_param();
    case inference::InferParameter::kUint64Param: return p.uint64_param();
    case inference::InferParameter::kDoubleParam: return p.double_param();
    case inference::InferParameter::kStringParam: {
      const std::string& s = p.string_param();
      if (!s.empty() && (s[0] == '[' || s[0] == '{') && json_nesting_depth(s) <= kMaxJsonDepth) {
        json j = json::parse(s, nullptr, false);
        if (!j.is_discarded()) return j;
      }
      return s;
    }
    default: return nullptr;
  }
}

// BYTES elements of a raw input: each a 4-byte little-endian length, then that many bytes.
std::vector<std::string> raw_bytes_elements(const std::string& raw, const std::string& name, size_t limit) {
  std::vector<std::string> out;
  size_t at = 0;
  while (at < raw.size()) {
    if (raw.size() - at < 4) throw ApiError(400, "invalid_input", "raw input '" + name + "' ends inside an element length");
    uint32_t n = 0;
    for (int b = 3; b >= 0; --b) n = (n << 8) | static_cast<unsigned char>(raw[at + size_t(b)]);
    at += 4;
    if (n > raw.size() - at) throw ApiError(400, "invalid_input", "raw input '" + name + "': an element runs past the data");
    out.emplace_back(raw.substr(at, n));
    at += n;
    if (out.size() > limit) break;  // refused by the limits check with its count
  }
  return out;
}

}  // namespace

struct KServeGrpcServer::State {
  ServedModels& models;
  Metrics& metrics;
  Admission& admission;
  const ServeOptions& options;
  std::unique_ptr<grpc::Server> server;

  class Service final : public inference::GRPCInferenceService::Service {
   public:
    explicit Service(State& s) : s_(s) {}

    grpc::Status ServerLive(grpc::ServerContext*, const inference::ServerLiveRequest*, inference::ServerLiveResponse* r) override {
      return run("ServerLive", nullptr, [&] { r->set_live(true); }, true);
    }
    grpc::Status ServerReady(grpc::ServerContext*, const inference::ServerReadyRequest*, inference::ServerReadyResponse* r) override {
      return run("ServerReady", nullptr, [&] {
        bool ready = true;
        for (const auto& i : s_.models.infos()) ready = ready && i.ready;
        r->set_ready(ready);
      }, true);
    }
    grpc::Status ModelReady(grpc::ServerContext*, const inference::ModelReadyRequest* q, inference::ModelReadyResponse* r) override {
      return run("ModelReady", nullptr, [&] {
        kserve_check_version(q->version());
        r->set_ready(s_.models.info(s_.models.spec(q->name()).name).ready);
      }, true);
    }
    grpc::Status ServerMetadata(grpc::ServerContext* c, const inference::ServerMetadataRequest*, inference::ServerMetadataResponse* r) override {
      return run("ServerMetadata", c, [&] {
        r->set_name("transformers-cpp");
        r->set_version(TRANSFORMERS_CPP_VERSION);
        r->add_extensions("model_repository");
      });
    }
    grpc::Status ModelMetadata(grpc::ServerContext* c, const inference::ModelMetadataRequest* q, inference::ModelMetadataResponse* r) override {
      return run("ModelMetadata", c, [&] {
        kserve_check_version(q->version());
        const KServeModelMetadata m = kserve_model_metadata(s_.models.spec(q->name()));
        r->set_name(m.name);
        r->add_versions(kKServeModelVersion);
        r->set_platform(m.platform);
        auto fill = [](const KServeTensorMetadata& t, inference::ModelMetadataResponse::TensorMetadata* out) {
          out->set_name(t.name);
          out->set_datatype(t.datatype);
          for (int64_t d : t.shape) out->add_shape(d);
        };
        for (const auto& t : m.inputs) fill(t, r->add_inputs());
        for (const auto& t : m.outputs) fill(t, r->add_outputs());
      });
    }
    grpc::Status ModelInfer(grpc::ServerContext* c, const inference::ModelInferRequest* q, inference::ModelInferResponse* r) override {
      return run("ModelInfer", c, [&] {
        const Admission::Ticket ticket = s_.admission.enter();
        KServeInferRequest req;
        req.model = q->model_name();
        req.version = q->model_version();
        req.id = q->id();
        for (const auto& [k, v] : q->parameters()) req.parameters[k] = parameter_json(v);
        const bool raw = q->raw_input_contents_size() > 0;
        if (raw && q->raw_input_contents_size() != q->inputs_size()) {
          throw ApiError(400, "invalid_input", "raw_input_contents has " + std::to_string(q->raw_input_contents_size()) +
                                                   " entries for " + std::to_string(q->inputs_size()) + " inputs");
        }
        for (int i = 0; i < q->inputs_size(); ++i) {
          const auto& in = q->inputs(i);
          KServeTensor t;
          t.name = in.name();
          t.datatype = in.datatype();
          t.shape.assign(in.shape().begin(), in.shape().end());
          if (raw) t.bytes = raw_bytes_elements(q->raw_input_contents(i), in.name(), s_.options.max_inputs);
          else t.bytes.assign(in.contents().bytes_contents().begin(), in.contents().bytes_contents().end());
          req.inputs.push_back(std::move(t));
        }
        for (const auto& o : q->outputs()) req.outputs.push_back(o.name());
        const KServeInferResponse res = kserve_infer(s_.models, s_.options, req);
        model_ = res.model;
        r->set_model_name(res.model);
        r->set_model_version(res.version);
        r->set_id(res.id);
        for (const auto& t : res.outputs) {
          auto* out = r->add_outputs();
          out->set_name(t.name);
          out->set_datatype(t.datatype);
          for (int64_t d : t.shape) out->add_shape(d);
          if (t.datatype == "FP32") {
            out->mutable_contents()->mutable_fp32_contents()->Add(t.fp32.begin(), t.fp32.end());
          } else {
            for (const auto& b : t.bytes) out->mutable_contents()->add_bytes_contents(b);
          }
        }
      });
    }
    grpc::Status RepositoryIndex(grpc::ServerContext* c, const inference::RepositoryIndexRequest* q, inference::RepositoryIndexResponse* r) override {
      return run("RepositoryIndex", c, [&] {
        for (const auto& i : s_.models.infos()) {
          if (q->ready() && !i.loaded) continue;
          auto* m = r->add_models();
          m->set_name(i.spec.name);
          m->set_version(kKServeModelVersion);
          m->set_state(i.loaded ? "READY" : "UNAVAILABLE");
          m->set_reason(i.loaded ? "" : i.last_error.empty() ? "not loaded" : i.last_error);
        }
      });
    }
    grpc::Status RepositoryModelLoad(grpc::ServerContext* c, const inference::RepositoryModelLoadRequest* q, inference::RepositoryModelLoadResponse*) override {
      return run("RepositoryModelLoad", c, [&] { s_.models.load(s_.models.spec(q->model_name()).name); });
    }
    grpc::Status RepositoryModelUnload(grpc::ServerContext* c, const inference::RepositoryModelUnloadRequest* q, inference::RepositoryModelUnloadResponse*) override {
      return run("RepositoryModelUnload", c, [&] { s_.models.unload(s_.models.spec(q->model_name()).name); });
    }

   private:
    // Authentication (but for health), errors as statuses, metrics: every call goes through here.
    template <class Body>
    grpc::Status run(const char* method, grpc::ServerContext* context, Body&& body, bool open = false) {
      const auto start = std::chrono::steady_clock::now();
      grpc::Status status = grpc::Status::OK;
      int http_like = 200;
      model_.clear();
      try {
        if (!open && !s_.options.api_key.empty()) {
          std::string given;
          const auto& md = context->client_metadata();
          if (auto it = md.find("authorization"); it != md.end()) {
            const std::string v(it->second.data(), it->second.size());
            if (v.rfind("Bearer ", 0) == 0) given = v.substr(7);
          } else if (auto k = md.find("x-api-key"); k != md.end()) {
            given.assign(k->second.data(), k->second.size());
          }
          if (!api_key_matches(given, s_.options.api_key)) throw ApiError(401, "unauthorized", "a valid API key is required (metadata authorization: Bearer KEY)");
        }
        body();
      } catch (const std::exception& e) {
        const ApiError err = api_error_of(e);
        http_like = err.status();
        status = status_of(err);
      }
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      s_.metrics.record_request(std::string("grpc:") + method, model_, http_like, seconds);
      return status;
    }
    State& s_;
    static thread_local std::string model_;  // the model the call served (metrics)
  };

  std::unique_ptr<Service> service;
};

thread_local std::string KServeGrpcServer::State::Service::model_;

KServeGrpcServer::KServeGrpcServer(ServedModels& models, Metrics& metrics, Admission& admission, const ServeOptions& options)
    : state_(new State{models, metrics, admission, options, nullptr, nullptr}) {
  state_->service = std::make_unique<State::Service>(*state_);
}

KServeGrpcServer::~KServeGrpcServer() { stop(std::chrono::milliseconds(0)); }

uint16_t KServeGrpcServer::start(const std::string& host, uint16_t port) {
  grpc::ServerBuilder builder;
  int bound = 0;
  builder.AddListeningPort(host + ":" + std::to_string(port), grpc::InsecureServerCredentials(), &bound);
  builder.SetMaxReceiveMessageSize(static_cast<int>(std::min<size_t>(state_->options.http.max_body_bytes, INT32_MAX)));
  builder.RegisterService(state_->service.get());
  state_->server = builder.BuildAndStart();
  if (!state_->server || bound == 0) {
    state_->server.reset();
    throw std::runtime_error("cannot listen for gRPC on " + host + ":" + std::to_string(port));
  }
  return static_cast<uint16_t>(bound);
}

void KServeGrpcServer::stop(std::chrono::milliseconds drain) {
  if (!state_->server) return;
  state_->server->Shutdown(std::chrono::system_clock::now() + drain);
  state_->server->Wait();
  state_->server.reset();
}

}  // namespace transformers::server
