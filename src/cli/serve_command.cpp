// `transformers-cpp serve`: the inference server (docs/server.md). SIGTERM or SIGINT stops it gracefully:
// no new connections, requests in flight finish, every model is disposed, exit 0.
#include <csignal>
#include <cstdio>
#include <fstream>
#include <pthread.h>

#include "cli/args.hpp"
#include "server/inference_server.hpp"
#include "transformers/error.hpp"

namespace transformers::cli {

namespace {

server::ServeWorkers parse_workers(const std::string& w) {
  if (w == "none") return server::ServeWorkers::none;
  if (w == "thread") return server::ServeWorkers::thread;
  if (w == "process") return server::ServeWorkers::process;
  throw InvalidInputError("--workers must be none, thread or process, got '" + w + "'");
}

size_t positive(const Args& args, const std::string& flag, int fallback) {
  const int n = args.get_int(flag, fallback);
  if (n < 1) throw InvalidInputError("--" + flag + " must be at least 1, got " + std::to_string(n));
  return static_cast<size_t>(n);
}

}  // namespace

int serve_command(const Args& args) {
  if (!args.positionals().empty()) throw InvalidInputError("serve takes no positional arguments (models: --model NAME=DIR)");
  server::ServeOptions o;
  for (const auto& m : args.get_all("model")) o.models.push_back(server::parse_model_spec(m));
  if (auto repo = args.get("model-repository")) {
    for (auto& spec : server::scan_model_repository(*repo)) {
      bool given = false;
      for (const auto& m : o.models) given = given || m.name == spec.name;
      if (!given) o.models.push_back(std::move(spec));  // --model wins over the repository's folder of that name
    }
  }
  if (o.models.empty()) throw InvalidInputError("serve needs --model NAME=DIR (repeatable) or --model-repository DIR");
  o.host = args.get("host").value_or("127.0.0.1");
  const int port = args.get_int("port", 8080);
  if (port < 0 || port > 65535) throw InvalidInputError("--port must be 0 to 65535, got " + std::to_string(port));
  o.port = static_cast<uint16_t>(port);
  if (args.has("grpc-port")) {
    const int g = args.get_int("grpc-port", -1);
    if (g < 0 || g > 65535) throw InvalidInputError("--grpc-port must be 0 to 65535, got " + std::to_string(g));
    o.grpc_port = g;
  }
  o.budget_bytes = args.get_size("budget", 0);
  o.workers = parse_workers(args.get("workers").value_or("none"));
  const std::string control = args.get("model-control").value_or("on-demand");
  if (control == "explicit") o.control = server::ModelControl::explicit_;
  else if (control != "on-demand") throw InvalidInputError("--model-control must be on-demand or explicit, got '" + control + "'");
  o.preload = args.has("preload");
  o.max_concurrent = positive(args, "max-concurrent", 32);
  o.max_queue = static_cast<size_t>(std::max(0, args.get_int("max-queue", 64)));
  o.api_key = args.get("api-key").value_or("");
  if (auto file = args.get("api-key-file")) {
    std::ifstream in(*file);
    if (!in) throw InvalidInputError("--api-key-file " + *file + " cannot be read");
    std::getline(in, o.api_key);
    if (o.api_key.empty()) throw InvalidInputError("--api-key-file " + *file + " holds no key on its first line");
  }
  o.http.max_body_bytes = args.get_size("max-body", 8u << 20);
  o.max_inputs = positive(args, "max-inputs", 256);
  o.max_input_bytes = args.get_size("max-input-bytes", 64u << 10);
  o.http.header_timeout = std::chrono::milliseconds(positive(args, "header-timeout-ms", 10'000));
  o.http.body_timeout = std::chrono::milliseconds(positive(args, "body-timeout-ms", 30'000));
  o.pipeline.dtype = args.get("dtype").value_or("auto");
  o.pipeline.session.intra_op_threads = args.get_int("threads", 0);
  o.batching.max_batch_size = positive(args, "max-batch", 16);
  o.batching.max_wait = std::chrono::microseconds(std::max(0, args.get_int("batch-wait-us", 2000)));

  // Signals are taken by sigwait below: blocked here, before any thread starts, so every thread inherits it.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  server::InferenceServer server(o);
  const uint16_t bound = server.start([](const std::string& line) { std::fprintf(stderr, "serve: %s\n", line.c_str()); });
  std::printf("listening on http://%s:%u (%zu models)\n", o.host.c_str(), static_cast<unsigned>(bound), o.models.size());
  if (o.grpc_port >= 0) std::printf("gRPC (KServe v2) on %s:%u\n", o.host.c_str(), static_cast<unsigned>(server.grpc_port()));
  std::fflush(stdout);
  int signal = 0;
  sigwait(&stop_signals, &signal);
  std::fprintf(stderr, "serve: %s: draining\n", signal == SIGTERM ? "SIGTERM" : "SIGINT");
  server.stop();
  std::fprintf(stderr, "serve: stopped\n");
  return 0;
}

}  // namespace transformers::cli
