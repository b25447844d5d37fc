#include "server/http_server.hpp"

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <condition_variable>
#include <future>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

namespace transformers::server {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

std::optional<std::string> HttpRequest::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (k == name) return v;
  return std::nullopt;
}

namespace {
std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}
}  // namespace

class Session;

struct HttpServer::State {
  HttpLimits limits;
  HttpHandler handler;
  net::io_context ioc{1};  // one I/O thread: every socket operation runs on it, so sessions need no strand
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  std::optional<tcp::acceptor> acceptor;
  std::thread io_thread;
  std::unique_ptr<net::thread_pool> handlers;
  std::atomic<bool> stopping{false};
  bool started = false, stopped = false;
  std::mutex mutex;  // sessions, and the wait for active requests
  std::condition_variable idle;
  std::vector<std::weak_ptr<Session>> sessions;
  std::atomic<uint64_t> accepted{0}, refused{0}, requests{0}, active{0}, header_timeouts{0},
      body_timeouts{0}, too_large{0}, bad_requests{0};

  void request_done() {
    std::lock_guard<std::mutex> lock(mutex);
    --active;
    idle.notify_all();
  }
  void accept();
};

// One connection: read a request, hand it to a handler thread, write its response, repeat while keep-alive.
class Session : public std::enable_shared_from_this<Session> {
 public:
  // Touches nothing of the server's state when destroyed: the last sessions die inside io_context's destructor.
  Session(tcp::socket socket, HttpServer::State* state) : stream_(std::move(socket)), state_(state) {}

  void start() { read_header(); }
  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
  }

  // Called on a handler thread: runs one socket operation on the I/O thread and waits for it.
  template <class Op>
  bool on_io(Op op) {
    std::promise<beast::error_code> done;
    auto result = done.get_future();
    net::post(state_->ioc, [&] {
      stream_.expires_after(state_->limits.write_timeout);
      op([&](beast::error_code ec, size_t) { done.set_value(ec); });
    });
    return !result.get();
  }

 private:
  void read_header() {
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(state_->limits.max_header_bytes));
    parser_->body_limit(state_->limits.max_body_bytes);
    stream_.expires_after(state_->limits.header_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = shared_from_this()](beast::error_code ec, size_t) { self->on_header(ec); });
  }

  void on_header(beast::error_code ec) {
    if (ec == beast::error::timeout) {
      // tcp_stream has closed the socket already: a client too slow for its deadline gets no answer.
      ++state_->header_timeouts;
      return close();
    }
    if (ec == http::error::header_limit) {
      ++state_->too_large;
      return reply_and_close(431, "request headers larger than " + std::to_string(state_->limits.max_header_bytes) + " bytes");
    }
    if (ec == http::error::body_limit) return body_too_large();
    if (ec == http::error::end_of_stream || ec == net::error::eof || ec == net::error::connection_reset ||
        ec == net::error::operation_aborted || ec == net::error::bad_descriptor) {
      return close();
    }
    if (ec) {
      ++state_->bad_requests;
      return reply_and_close(400, "malformed HTTP request: " + ec.message());
    }
    const auto& req = parser_->get();
    if (beast::iequals(req[http::field::expect], "100-continue")) {
      auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_, 11);
      http::async_write(stream_, *cont, [self = shared_from_this(), cont](beast::error_code ec2, size_t) {
        if (ec2) return self->close();
        self->read_body();
      });
      return;
    }
    read_body();
  }

  void read_body() {
    stream_.expires_after(state_->limits.body_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) { self->on_body(ec); });
  }

  void body_too_large() {
    ++state_->too_large;
    reply_and_close(413, "request body larger than " + std::to_string(state_->limits.max_body_bytes) + " bytes");
  }

  void on_body(beast::error_code ec) {
    if (ec == beast::error::timeout) {
      ++state_->body_timeouts;
      return close();
    }
    if (ec == http::error::body_limit) return body_too_large();
    if (ec == http::error::end_of_stream || ec == net::error::eof || ec == net::error::connection_reset ||
        ec == net::error::operation_aborted) {
      return close();
    }
    if (ec) {
      ++state_->bad_requests;
      return reply_and_close(400, "malformed HTTP request: " + ec.message());
    }
    stream_.expires_never();  // the handler may take long; the write sets its own deadline
    auto req = parser_->release();
    keep_alive_ = req.keep_alive();
    HttpRequest request;
    request.method = std::string(req.method_string());
    const std::string_view target = req.target();
    const size_t q = target.find('?');
    request.path = std::string(target.substr(0, q));
    if (q != std::string_view::npos) request.query = std::string(target.substr(q + 1));
    for (const auto& field : req) request.headers.emplace_back(lower(field.name_string()), std::string(field.value()));
    request.body = std::move(req.body());
    ++state_->requests;
    {
      std::lock_guard<std::mutex> lock(state_->mutex);
      ++state_->active;
    }
    net::post(*state_->handlers, [self = shared_from_this(), request = std::move(request)]() mutable {
      self->handle(request);
    });
  }

  // On a handler thread.
  void handle(const HttpRequest& request) {
    HttpResponse res;
    try {
      res = state_->handler(request);
    } catch (...) {
      res = HttpResponse{500, "application/json", R"({"error":{"code":"internal","message":"the request handler failed"}})", {}, {}};
    }
    if (res.stream) return stream_response(res);
    auto msg = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(res.status), 11);
    fill_headers(*msg, res);
    msg->body() = std::move(res.body);
    msg->prepare_payload();
    net::post(state_->ioc, [self = shared_from_this(), msg] {
      self->stream_.expires_after(self->state_->limits.write_timeout);
      http::async_write(self->stream_, *msg, [self, msg](beast::error_code ec, size_t) {
        self->state_->request_done();
        self->after_response(ec, msg->keep_alive());
      });
    });
  }

  template <class Message>
  void fill_headers(Message& msg, const HttpResponse& res) {
    msg.set(http::field::server, "transformers-cpp");
    msg.set(http::field::content_type, res.content_type);
    for (const auto& [k, v] : res.headers) msg.set(k, v);
    msg.keep_alive(keep_alive_ && !state_->stopping);
  }

  class Sink : public ChunkSink {
   public:
    explicit Sink(Session& s) : s_(s) {}
    bool write(std::string_view data) override {
      if (!ok || data.empty()) return ok;
      ok = s_.on_io([&](auto done) { net::async_write(s_.stream_, http::make_chunk(net::buffer(data)), done); });
      return ok;
    }
    bool ok = true;

   private:
    Session& s_;
  };

  // On a handler thread: headers, the producer's chunks, the last chunk, each written on the I/O thread.
  void stream_response(HttpResponse& res) {
    http::response<http::empty_body> head{static_cast<http::status>(res.status), 11};
    fill_headers(head, res);
    head.set(http::field::cache_control, "no-cache");
    head.chunked(true);
    http::response_serializer<http::empty_body> serializer{head};
    Sink sink(*this);
    sink.ok = on_io([&](auto done) { http::async_write_header(stream_, serializer, done); });
    if (sink.ok) {
      try {
        res.stream(sink);
      } catch (...) {
        sink.ok = false;  // a producer that throws ends the response without its last chunk: the client sees it cut
      }
    }
    if (sink.ok) sink.ok = on_io([&](auto done) { net::async_write(stream_, http::make_chunk_last(), done); });
    const bool keep = sink.ok && head.keep_alive();
    net::post(state_->ioc, [self = shared_from_this(), keep] {
      self->state_->request_done();
      self->after_response({}, keep);
    });
  }

  void after_response(beast::error_code ec, bool keep_alive) {
    if (ec || !keep_alive || state_->stopping) return close();
    read_header();
  }

  void reply_and_close(int status, const std::string& message) {
    auto msg = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(status), 11);
    msg->set(http::field::server, "transformers-cpp");
    msg->set(http::field::content_type, "application/json");
    std::string code = status == 413 || status == 431 ? "too_large" : "bad_request";
    msg->body() = nlohmann::json{{"error", {{"code", code}, {"message", message}}}}.dump();
    msg->keep_alive(false);
    msg->prepare_payload();
    stream_.expires_after(state_->limits.write_timeout);
    http::async_write(stream_, *msg, [self = shared_from_this(), msg](beast::error_code, size_t) { self->close(); });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  HttpServer::State* state_;
  bool keep_alive_ = false;
};

void HttpServer::State::accept() {
  acceptor->async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (ec == net::error::operation_aborted || !acceptor->is_open()) return;
      return accept();  // e.g. too many open files: keep serving the connections there are
    }
    std::shared_ptr<Session> session;
    {
      std::lock_guard<std::mutex> lock(mutex);
      std::erase_if(sessions, [](const auto& w) { return w.expired(); });
      if (sessions.size() < limits.max_connections) {
        session = std::make_shared<Session>(std::move(socket), this);
        sessions.push_back(session);
      }
    }
    if (session) {
      ++accepted;
      session->start();
    } else {
      ++refused;
      beast::error_code ignored;
      socket.close(ignored);
    }
    accept();
  });
}

HttpServer::HttpServer(HttpLimits limits, HttpHandler handler) : state_(std::make_shared<State>()) {
  state_->limits = limits;
  state_->handler = std::move(handler);
}

HttpServer::~HttpServer() { stop(); }

uint16_t HttpServer::start(const std::string& host, uint16_t port) {
  State& s = *state_;
  if (s.started) throw std::runtime_error("the HTTP server is already started");
  beast::error_code ec;
  const auto address = net::ip::make_address(host, ec);
  if (ec) throw std::runtime_error("cannot listen on '" + host + "': not an IP address (" + ec.message() + ")");
  const tcp::endpoint endpoint{address, port};
  s.acceptor.emplace(s.ioc);
  s.acceptor->open(endpoint.protocol(), ec);
  if (!ec) s.acceptor->set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) s.acceptor->bind(endpoint, ec);
  if (!ec) s.acceptor->listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    s.acceptor.reset();
    throw std::runtime_error("cannot listen on " + host + ":" + std::to_string(port) + ": " + ec.message());
  }
  const uint16_t bound = s.acceptor->local_endpoint().port();
  s.handlers = std::make_unique<net::thread_pool>(std::max<size_t>(1, s.limits.handler_threads));
  s.work.emplace(s.ioc.get_executor());
  s.accept();
  s.io_thread = std::thread([&s] { s.ioc.run(); });
  s.started = true;
  return bound;
}

void HttpServer::stop(std::chrono::milliseconds drain) {
  State& s = *state_;
  if (!s.started || s.stopped) return;
  s.stopped = true;
  s.stopping = true;
  net::post(s.ioc, [&s] {
    beast::error_code ec;
    if (s.acceptor) s.acceptor->close(ec);
  });
  {
    std::unique_lock<std::mutex> lock(s.mutex);
    s.idle.wait_for(lock, drain, [&] { return s.active == 0; });
  }
  // Requests still running finish (an inference cannot be cut); their responses are written, then closed.
  s.handlers->join();
  std::vector<std::shared_ptr<Session>> live;
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    for (auto& w : s.sessions)
      if (auto p = w.lock()) live.push_back(std::move(p));
    s.sessions.clear();
  }
  net::post(s.ioc, [live = std::move(live)] {
    for (const auto& session : live) session->close();
  });
  s.work.reset();
  // Sockets closed above end their pending reads; a timer still armed would keep run() going until it
  // fires, so stop once the closes have been handled.
  net::post(s.ioc, [&s] { s.ioc.stop(); });
  s.io_thread.join();
}

HttpServerStats HttpServer::stats() const {
  State& s = *state_;
  uint64_t open = 0;
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    for (const auto& w : s.sessions) open += !w.expired();
  }
  return {s.accepted, s.refused, open, s.requests, s.active, s.header_timeouts, s.body_timeouts, s.too_large, s.bad_requests};
}

}  // namespace transformers::server
