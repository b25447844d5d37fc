// HTTP/1.1 on Boost.Beast: keep-alive, bodies read whole under a size limit, header and body deadlines
// (a slow client holds a socket, never a handler thread), chunked responses for server-sent events, and
// a graceful stop (no new connections, in-flight requests finish). Knows nothing of models: requests go
// to one handler, run on a pool of handler threads so that inference never blocks the I/O thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace transformers::server {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // the target up to '?', as sent
  std::string query;   // after '?', as sent
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  std::optional<std::string> header(std::string_view lower_case_name) const;
};

// Where a streamed response writes its chunks. write() returns false once the client is gone (the
// producer should stop); it blocks until the chunk is handed to the socket or the write deadline passes.
class ChunkSink {
 public:
  virtual ~ChunkSink() = default;
  virtual bool write(std::string_view data) = 0;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // Set: the body is sent with chunked transfer encoding, written by this function (on the handler
  // thread) after the headers; `body` is then ignored.
  std::function<void(ChunkSink&)> stream;
};

struct HttpLimits {
  size_t max_header_bytes = 16u << 10;
  size_t max_body_bytes = 8u << 20;
  // From the connection (or the previous response) to a request's last header byte: covers idle keep-alive.
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds body_timeout{30'000};   // from the headers to the body's last byte
  std::chrono::milliseconds write_timeout{30'000};  // one response, or one streamed chunk
  size_t max_connections = 1024;                    // more are closed at once
  size_t handler_threads = 64;                      // requests handled at once; more wait for a thread
};

struct HttpServerStats {
  uint64_t connections_accepted = 0, connections_refused = 0, connections_open = 0;
  uint64_t requests = 0, requests_active = 0;
  uint64_t header_timeouts = 0, body_timeouts = 0, too_large = 0, bad_requests = 0;
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

class HttpServer {
 public:
  // `handler` must not throw (a throw becomes a 500 with its message).
  HttpServer(HttpLimits limits, HttpHandler handler);
  ~HttpServer();  // stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts serving; returns the port (give 0 for any free one). Throws std::runtime_error naming
  // the address when it cannot bind.
  uint16_t start(const std::string& host, uint16_t port);
  // Stops accepting, lets requests in flight finish (up to `drain`), then closes every connection and
  // joins the threads. Idempotent.
  void stop(std::chrono::milliseconds drain = std::chrono::milliseconds(30'000));
  HttpServerStats stats() const;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace transformers::server
