// `transformers-cpp serve` as a library object: the routes of every protocol over one HttpServer, the
// served models, authentication, backpressure and metrics. The core library never links it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "server/serve_options.hpp"

namespace transformers::server {

class InferenceServer {
 public:
  explicit InferenceServer(ServeOptions options);  // InvalidInputError for bad options (model names, ...)
  ~InferenceServer();                              // stop()
  InferenceServer(const InferenceServer&) = delete;
  InferenceServer& operator=(const InferenceServer&) = delete;

  // Loads what the model control says to load at start (a model that fails is reported by `log` and stays
  // unavailable), then listens; returns the bound port.
  uint16_t start(const std::function<void(const std::string&)>& log = {});
  uint16_t grpc_port() const;  // the gRPC port bound by start() (0 without gRPC)
  // Graceful: stops accepting, finishes requests in flight (up to `drain`), disposes every model.
  void stop(std::chrono::milliseconds drain = std::chrono::milliseconds(30'000));
  // One request as the HTTP layer hands it over (routing, authentication, errors, metrics).
  HttpResponse handle(const HttpRequest& request);

  struct State;

 private:
  std::unique_ptr<State> state_;
};

}  // namespace transformers::server
