// ProcessWorker: pipelines in a child process (`transformers-cpp worker`), reached over a Unix socket
// (docs/workers-process.md). A reader thread matches answers to futures by request id and notices the
// child's end (EOF, reset, pidfd); a health thread pings it. Every child is reaped by the reader thread.
#include <poll.h>
#include <sys/wait.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include "workers/process_spawn.hpp"
#include "workers/worker_factories.hpp"
#include "workers/worker_protocol.hpp"

namespace transformers::workers {

namespace {
namespace proto = protocol;
using Clock = std::chrono::steady_clock;

std::atomic<uint64_t> worker_counter{0};

template <class E>
std::exception_ptr error_ptr(const std::string& message) {
  return std::make_exception_ptr(E(message));
}

std::exception_ptr typed_error(const proto::ErrorMessage& e) {
  try {
    proto::throw_error(e.kind, e.message);
  } catch (...) {
    return std::current_exception();
  }
  return nullptr;
}

class ProcessWorker final : public Worker {
 public:
  ProcessWorker(const WorkerOptions& options, SpawnedChild child)
      : options_(options), child_(child) {
    name_ = options.name.empty() ? "worker-" + std::to_string(++worker_counter) : options.name;
  }

  ~ProcessWorker() override {
    try {
      terminate();
    } catch (...) {
      // terminate() failing still leaves the child reaped by the reader thread, joined below.
    }
    join_threads();
    ::close(child_.socket);
    if (child_.pidfd >= 0) ::close(child_.pidfd);
  }

  // Reaps a child that ended before the hello exchange and says how it ended.
  [[noreturn]] void throw_exited_before_hello() {
    const int status = reap_child(child_, std::chrono::milliseconds(2000));
    reaped_ = true;
    throw WorkerCrashedError("worker '" + name_ + "' (pid " + std::to_string(child_.pid) + ") " +
                             describe_wait_status(status) + " before answering hello");
  }

  // Hello exchange before any thread starts: the child must answer with our version within the timeout.
  void handshake() {
    proto::Hello hello;
    hello.intra_op_threads = options_.intra_op_threads;
    hello.shm_threshold = options_.shared_memory_threshold;
    hello.release_policy = options_.release_policy;
    hello.name = name_;
    const auto timeout = options_.health_timeout.count() > 0 ? options_.health_timeout : std::chrono::milliseconds(30000);
    const auto deadline = Clock::now() + timeout;
    try {
      try {
        proto::send_frame(child_.socket, proto::MessageType::hello, 0, proto::encode_hello(hello),
                          options_.shared_memory_threshold);
      } catch (const WorkerCrashedError&) {
        // A child that died before reading our hello makes the write fail (EPIPE); its exit status says
        // more than the pipe does.
        throw_exited_before_hello();
      }
      for (;;) {
        if (auto frame = decoder_.next()) {
          if (frame->header.type == proto::MessageType::error) {
            std::rethrow_exception(typed_error(proto::decode_error(frame->payload())));
          }
          if (frame->header.type != proto::MessageType::hello) {
            throw ProtocolError(std::string("expected hello, got ") + proto::to_string(frame->header.type));
          }
          const auto answer = proto::decode_hello(frame->payload());
          if (answer.pid != child_.pid) {
            throw ProtocolError("hello from pid " + std::to_string(answer.pid) + ", the worker is pid " +
                                std::to_string(child_.pid));
          }
          return;
        }
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        pollfd p{child_.socket, POLLIN, 0};
        const int r = left.count() > 0 ? poll(&p, 1, static_cast<int>(left.count())) : 0;
        if (r < 0 && errno == EINTR) continue;
        if (r == 0) {
          throw WorkerCrashedError("worker '" + name_ + "' (pid " + std::to_string(child_.pid) +
                                   ") did not answer hello within " + std::to_string(timeout.count()) + " ms");
        }
        bool open = false;
        try {
          open = proto::receive_some(child_.socket, decoder_);
        } catch (const WorkerCrashedError&) {
          // Reset: it died with our hello unread. Its exit status says more than the reset.
        }
        if (!open) throw_exited_before_hello();
      }
    } catch (...) {
      if (!reaped_) {
        kill_child(child_);
        reap_child(child_, std::chrono::milliseconds(0));
        reaped_ = true;
      }
      ::close(child_.socket);
      if (child_.pidfd >= 0) ::close(child_.pidfd);
      child_.socket = child_.pidfd = -1;
      throw;
    }
  }

  void start() {
    alive_ = true;
    reader_ = std::thread([this] { read_loop(); });
    if (options_.health_interval.count() > 0) health_ = std::thread([this] { health_loop(); });
  }

  WorkerKind kind() const override { return WorkerKind::process; }

  std::future<void> load(std::string task, std::filesystem::path model, PipelineOptions options) override {
    auto promise = std::make_shared<std::promise<void>>();
    auto future = promise->get_future();
    Pending p;
    p.expect = proto::MessageType::done;
    p.on_reply = [this, promise](const proto::Frame& f) {
      const auto done = proto::decode_done(f.payload());
      pipelines_loaded_ = done.pipelines;
      promise->set_value();
    };
    p.on_fail = [promise](std::exception_ptr e) { promise->set_exception(e); };
    request(proto::MessageType::load, proto::encode_key({std::move(task), model.string(), std::move(options)}),
            std::move(p));
    return future;
  }

  std::future<bool> unload(std::string task, std::filesystem::path model, PipelineOptions options) override {
    auto promise = std::make_shared<std::promise<bool>>();
    auto future = promise->get_future();
    Pending p;
    p.expect = proto::MessageType::done;
    p.on_reply = [this, promise](const proto::Frame& f) {
      const auto done = proto::decode_done(f.payload());
      pipelines_loaded_ = done.pipelines;
      promise->set_value(done.flag);
    };
    p.on_fail = [promise](std::exception_ptr e) { promise->set_exception(e); };
    request(proto::MessageType::unload, proto::encode_key({std::move(task), model.string(), std::move(options)}),
            std::move(p));
    return future;
  }

  std::future<Output> submit(WorkerCall call) override {
    auto promise = std::make_shared<std::promise<Output>>();
    auto future = promise->get_future();
    Pending p;
    p.expect = proto::MessageType::result;
    p.is_call = true;
    // Streamed calls: the callback's exception (if it threw) fails the call when its result arrives.
    auto callback_error = std::make_shared<std::exception_ptr>();
    if (call.on_text) {
      p.on_chunk = [on_text = call.on_text, callback_error](const StreamChunk& chunk) {
        if (*callback_error) return false;
        try {
          return on_text(chunk);
        } catch (...) {
          *callback_error = std::current_exception();
          return false;
        }
      };
    }
    p.on_reply = [this, promise, callback_error](const proto::Frame& f) {
      auto result = proto::decode_result(f.payload());
      pipelines_loaded_ = result.pipelines;
      if (*callback_error) {
        ++calls_failed_;
        promise->set_exception(*callback_error);
        return;
      }
      ++calls_completed_;
      promise->set_value(std::move(result.output));
    };
    p.on_fail = [this, promise](std::exception_ptr e) {
      ++calls_failed_;
      promise->set_exception(e);
    };
    request(proto::MessageType::call, proto::encode_call(call), std::move(p));
    return future;
  }

  MemoryReport memory_report() override {
    auto promise = std::make_shared<std::promise<MemoryReport>>();
    auto future = promise->get_future();
    Pending p;
    p.expect = proto::MessageType::memory_report;
    p.on_reply = [promise](const proto::Frame& f) { promise->set_value(proto::decode_memory_report(f.payload())); };
    p.on_fail = [promise](std::exception_ptr e) { promise->set_exception(e); };
    request(proto::MessageType::memory_request, {}, std::move(p));
    return future.get();
  }

  void terminate() override {
    std::lock_guard life(lifecycle_mu_);
    {
      std::lock_guard w(write_mu_);  // after every request already registered has been sent
      bool send_terminate = false;
      {
        std::lock_guard lock(mu_);
        if (!stopping_) {
          stopping_ = true;
          send_terminate = alive_;
        }
      }
      if (send_terminate) {
        try {
          proto::send_frame(child_.socket, proto::MessageType::terminate, next_id_++, {});
        } catch (const std::exception&) {
          kill_child(child_);  // cannot ask politely: the reader sees the end and fails what is in flight
        }
      }
    }
    join_threads();
  }

  void kill() override {
    std::lock_guard life(lifecycle_mu_);
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
      killed_ = true;
      if (!reaped_) kill_child(child_);
    }
    join_threads();
  }

  bool alive() const override {
    std::lock_guard lock(mu_);
    return alive_ && !stopping_;
  }

  WorkerStats stats() const override {
    std::lock_guard lock(mu_);
    WorkerStats s;
    s.name = name_;
    s.kind = WorkerKind::process;
    s.pid = child_.pid;
    s.alive = alive_ && !stopping_;
    s.calls_completed = calls_completed_;
    s.calls_failed = calls_failed_;
    for (const auto& [id, p] : pending_) s.in_flight += p.is_call ? 1 : 0;
    s.pipelines_loaded = pipelines_loaded_;
    return s;
  }

 private:
  struct Pending {
    proto::MessageType expect = proto::MessageType::done;
    bool is_call = false;
    std::function<void(const proto::Frame&)> on_reply;  // may throw ProtocolError (bad payload)
    std::function<void(std::exception_ptr)> on_fail;
    std::function<bool(const StreamChunk&)> on_chunk;  // streamed calls; false = ask the child to stop
  };

  // Registers the answer's handler, then sends. A worker that has ended fails the request at once.
  // The write lock is taken first, so a request registered before terminate() is also sent before it.
  void request(proto::MessageType type, const std::string& payload, Pending pending) {
    std::lock_guard w(write_mu_);
    const uint64_t id = next_id_++;
    {
      std::lock_guard lock(mu_);
      if (!alive_ || stopping_) {
        auto on_fail = std::move(pending.on_fail);
        const auto why = (stopping_ || !death_) ? error_ptr<WorkerTerminatedError>(
                                                      "worker '" + name_ + "' was terminated; it takes no more calls")
                                                : death_;
        on_fail(why);
        return;
      }
      pending_.emplace(id, std::move(pending));
    }
    try {
      proto::send_frame(child_.socket, type, id, payload, options_.shared_memory_threshold);
    } catch (const ProtocolError&) {
      // Too large to send, refused before any byte went out: fail this request alone.
      std::exception_ptr e = std::current_exception();
      Pending p;
      {
        std::lock_guard lock(mu_);
        auto it = pending_.find(id);
        if (it == pending_.end()) return;
        p = std::move(it->second);
        pending_.erase(it);
      }
      p.on_fail(e);
    } catch (const std::exception&) {
      // The child is gone, or the stream may hold half a frame: either way this child is done. The reader
      // sees the end, reaps it and fails every request with the reason.
      kill_child(child_);
    }
  }

  void read_loop() {
    std::exception_ptr broken;  // set when the child broke the protocol
    std::string cut;            // the stream ended in the middle of a frame
    try {
      for (;;) {
        pollfd fds[2] = {{child_.socket, POLLIN, 0}, {child_.pidfd, POLLIN, 0}};
        const int r = poll(fds, child_.pidfd >= 0 ? 2 : 1, -1);
        if (r < 0) {
          if (errno == EINTR) continue;
          throw Error(std::string("poll failed: ") + std::strerror(errno));
        }
        if (fds[0].revents) {
          if (!proto::receive_some(child_.socket, decoder_)) {
            // End of stream in the middle of a frame: a child killed by a signal while it wrote (the crash,
            // told by its status below), or one that ended cleanly mid-frame (a protocol violation).
            try {
              decoder_.finish();
            } catch (const ProtocolError& e) {
              cut = e.what();
            }
            break;
          }
          while (auto frame = decoder_.next()) dispatch(*frame);
        } else if (fds[1].revents) {
          break;  // the child ended and nothing more is readable
        }
      }
    } catch (const ProtocolError& e) {
      broken = error_ptr<ProtocolError>("worker '" + name_ + "' (pid " + std::to_string(child_.pid) +
                                        ") broke the protocol, so it was killed: " + e.what());
      kill_child(child_);
    } catch (const std::exception&) {
      kill_child(child_);  // reset or unreadable: whatever it is, this child is done
    }
    const int status = reap_child(child_, std::chrono::milliseconds(2000));
    if (!cut.empty() && !broken && !WIFSIGNALED(status)) {
      broken = error_ptr<ProtocolError>("worker '" + name_ + "' (pid " + std::to_string(child_.pid) +
                                        ") broke the protocol: " + cut);
    }
    finish(status, broken);
  }

  void dispatch(const proto::Frame& frame) {
    const auto type = frame.header.type;
    if (type == proto::MessageType::pong) {
      std::lock_guard lock(mu_);
      if (frame.header.request_id == ping_id_) ping_outstanding_ = false;
      return;
    }
    if (type == proto::MessageType::bye) return;
    if (type == proto::MessageType::stream_chunk) {  // a piece of a call still in flight
      std::function<bool(const StreamChunk&)> on_chunk;
      {
        std::lock_guard lock(mu_);
        auto it = pending_.find(frame.header.request_id);
        if (it == pending_.end() || !it->second.on_chunk)
          throw ProtocolError("a stream_chunk for request " + std::to_string(frame.header.request_id) +
                              ", which is not a streamed call in flight");
        on_chunk = it->second.on_chunk;
      }
      if (!on_chunk(proto::decode_stream_chunk(frame.payload()))) {
        std::lock_guard w(write_mu_);
        try {
          proto::send_frame(child_.socket, proto::MessageType::cancel, frame.header.request_id, {},
                            options_.shared_memory_threshold);
        } catch (const std::exception&) {
          // The child is gone: the reader sees it and fails the call.
        }
      }
      return;
    }
    if (type == proto::MessageType::error && frame.header.request_id == 0) {
      const auto e = proto::decode_error(frame.payload());
      throw ProtocolError("the worker refused our bytes: " + e.message);
    }
    Pending p;
    {
      std::lock_guard lock(mu_);
      auto it = pending_.find(frame.header.request_id);
      if (it == pending_.end()) {
        throw ProtocolError(std::string("a ") + proto::to_string(type) + " frame for request " +
                            std::to_string(frame.header.request_id) + ", which is not in flight");
      }
      p = std::move(it->second);
      pending_.erase(it);
    }
    try {
      if (type == proto::MessageType::error) {
        p.on_fail(typed_error(proto::decode_error(frame.payload())));
      } else if (type == p.expect) {
        p.on_reply(frame);
      } else {
        throw ProtocolError(std::string("a ") + proto::to_string(type) + " frame answered a request expecting " +
                            proto::to_string(p.expect));
      }
    } catch (const ProtocolError&) {
      {
        std::lock_guard lock(mu_);
        alive_ = false;  // before the caller hears of it: the worker is done for
        death_ = std::current_exception();
      }
      p.on_fail(std::current_exception());
      throw;
    }
  }

  // The child is reaped: record why it ended and fail everything still waiting.
  void finish(int status, std::exception_ptr broken) {
    std::unordered_map<uint64_t, Pending> pending;
    std::exception_ptr why;
    {
      std::lock_guard lock(mu_);
      reaped_ = true;
      alive_ = false;
      std::string what = "worker '" + name_ + "' (pid " + std::to_string(child_.pid) + ") " +
                         describe_wait_status(status);
      if (!health_failure_.empty()) what += " after it " + health_failure_;
      why = broken ? broken : error_ptr<WorkerCrashedError>(what);
      if (!stopping_ || killed_ || broken) death_ = why;
      pending.swap(pending_);
      health_stop_ = true;
    }
    health_cv_.notify_all();
    for (auto& [id, p] : pending) p.on_fail(why);
  }

  void health_loop() {
    const auto timeout = options_.health_timeout;
    std::unique_lock lock(mu_);
    std::optional<Clock::time_point> busy_since;  // when a ping first found another frame being written
    while (!health_stop_) {
      const auto deadline = ping_outstanding_ ? ping_sent_ + timeout : last_ping_ + options_.health_interval;
      if (health_cv_.wait_until(lock, deadline, [&] { return health_stop_; })) break;
      const auto now = Clock::now();
      if (ping_outstanding_) {
        if (now - ping_sent_ >= timeout) {
          health_failure_ = "did not answer a health ping within " + std::to_string(timeout.count()) + " ms";
          kill_child(child_);  // the reader sees the end, reaps and fails the calls
          break;
        }
        continue;
      }
      // Never wait for the write lock: a frame stuck in a full socket would stop the health check too.
      lock.unlock();
      std::unique_lock write(write_mu_, std::try_to_lock);
      lock.lock();
      if (health_stop_) break;
      if (!write.owns_lock()) {
        if (!busy_since) busy_since = now;
        if (now - *busy_since >= timeout) {
          health_failure_ = "did not read its socket for " + std::to_string(timeout.count()) + " ms";
          kill_child(child_);
          break;
        }
        last_ping_ = now;  // try again an interval later
        continue;
      }
      busy_since.reset();
      ping_id_ = next_id_++;
      ping_outstanding_ = true;
      ping_sent_ = last_ping_ = now;
      const uint64_t id = ping_id_;
      lock.unlock();
      try {
        proto::send_frame(child_.socket, proto::MessageType::ping, id, {});
      } catch (const std::exception&) {
        // The reader notices the end of the child.
      }
      write.unlock();
      lock.lock();
    }
  }

  void join_threads() {
    if (reader_.joinable()) reader_.join();
    if (health_.joinable()) health_.join();
  }

  const WorkerOptions options_;
  std::string name_;
  SpawnedChild child_;
  proto::FrameDecoder decoder_;  // the reader thread's (the handshake's before it starts)
  std::thread reader_, health_;
  std::mutex lifecycle_mu_;  // terminate / kill
  std::mutex write_mu_;      // one frame at a time on the socket
  mutable std::mutex mu_;
  std::condition_variable health_cv_;
  std::unordered_map<uint64_t, Pending> pending_;
  std::atomic<uint64_t> next_id_{1};
  bool alive_ = false, stopping_ = false, killed_ = false, reaped_ = false, health_stop_ = false;
  bool ping_outstanding_ = false;
  std::string health_failure_;  // why the health check killed it
  uint64_t ping_id_ = 0;
  Clock::time_point ping_sent_{}, last_ping_ = Clock::now();
  std::exception_ptr death_;
  std::atomic<uint64_t> calls_completed_{0}, calls_failed_{0}, pipelines_loaded_{0};
};
}  // namespace

std::unique_ptr<Worker> make_process_worker(const WorkerOptions& options) {
  const auto executable = resolve_worker_executable(options.executable);
  auto worker = std::make_unique<ProcessWorker>(options, spawn_worker_process(executable, options.memory_limit_bytes));
  worker->handshake();
  worker->start();
  return worker;
}

}  // namespace transformers::workers
