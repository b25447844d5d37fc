// The Open Inference Protocol (KServe v2) independent of its transport: requests and responses as named
// tensors, the tensors each task takes and gives, and inference over the served models. The REST routes
// (kserve_routes.cpp) and the gRPC service (kserve_grpc.cpp) only translate to and from these.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/serve_options.hpp"

namespace transformers::server {

class ServedModels;

inline constexpr const char* kKServeModelVersion = "1";  // every model has this one version

struct KServeTensor {
  std::string name;
  std::string datatype;  // "BYTES" or "FP32" (what the tasks take and give)
  std::vector<int64_t> shape;
  std::vector<std::string> bytes;  // BYTES elements, row-major
  std::vector<float> fp32;         // FP32 elements, row-major
};

struct KServeInferRequest {
  std::string model, version, id;
  nlohmann::json parameters = nlohmann::json::object();  // the task's options, Transformers.js' field names
  std::vector<KServeTensor> inputs;
  std::vector<std::string> outputs;  // requested names; empty = the task's defaults
};

struct KServeInferResponse {
  std::string model, version, id;
  std::vector<KServeTensor> outputs;
};

struct KServeTensorMetadata {
  std::string name, datatype;
  std::vector<int64_t> shape;  // -1 = any
};

struct KServeModelMetadata {
  std::string name, platform = "transformers-cpp", task;
  std::vector<KServeTensorMetadata> inputs, outputs;
};

// ApiError 404 for another version than "1" (empty = any).
void kserve_check_version(const std::string& version);
KServeModelMetadata kserve_model_metadata(const ModelSpec& spec);
// Checks the request's tensors (names, BYTES, shape [N] or [N, 1] against the elements, the request limits),
// runs the model, and gives the requested outputs. ApiError naming what does not fit.
KServeInferResponse kserve_infer(ServedModels& models, const ServeOptions& options, const KServeInferRequest& request);

}  // namespace transformers::server
