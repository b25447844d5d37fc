// KServe v2 / Open Inference Protocol over gRPC (inference.GRPCInferenceService, proto/grpc_predict_v2.proto),
// on Debian's gRPC: the same served models, admission, API key and metrics as the REST routes.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "server/serve_options.hpp"

namespace transformers::server {

class ServedModels;
class Metrics;
class Admission;

class KServeGrpcServer {
 public:
  KServeGrpcServer(ServedModels& models, Metrics& metrics, Admission& admission, const ServeOptions& options);
  ~KServeGrpcServer();  // stop()
  KServeGrpcServer(const KServeGrpcServer&) = delete;
  KServeGrpcServer& operator=(const KServeGrpcServer&) = delete;

  // Listens on host:port (0 = any free one); returns the port. std::runtime_error when it cannot.
  uint16_t start(const std::string& host, uint16_t port);
  // Refuses new calls, waits up to `drain` for those in flight, then cancels what is left.
  void stop(std::chrono::milliseconds drain);

  struct State;

 private:
  std::unique_ptr<State> state_;
};

}  // namespace transformers::server
