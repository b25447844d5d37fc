// The child side of a process worker: pipelines keyed by (task, model, options), run one call at a time.
#include "workers/worker_server.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>

#include "pipelines/pipeline_key.hpp"
#include "transformers/engine.hpp"
#include "transformers/memory_report.hpp"
#include "workers/worker_protocol.hpp"

namespace transformers::workers {

namespace {
namespace proto = protocol;

// Fault injection for tests (docs/testing.md, "Fault injection"): TRANSFORMERS_WORKER_KILL_AT=STEP makes the
// child SIGKILL itself at that step of the protocol, as a `kill -9` from outside at that very moment would.
// Steps: hello (hello read, not answered), load, unload, call, memory (the request read, not run), stream
// (the first stream chunk sent), load-reply, call-reply (done, not answered), call-reply-half (half of the
// result frame written), terminate (terminate read, before disposing and saying bye).
class KillPoint {
 public:
  KillPoint() {
    if (const char* v = std::getenv("TRANSFORMERS_WORKER_KILL_AT")) step_ = v;
  }
  bool is(std::string_view step) const { return step_ == step; }
  void at(std::string_view step) const {
    if (is(step)) ::raise(SIGKILL);
  }

 private:
  std::string step_;
};

class Server {
 public:
  explicit Server(int fd) : fd_(fd) {}

  int serve() {
    std::thread reader([this] { read_loop(); });
    int code = 0;
    for (;;) {
      proto::Frame frame;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return !queue_.empty() || closed_; });
        if (queue_.empty()) break;  // closed and drained
        frame = std::move(queue_.front());
        queue_.pop_front();
      }
      if (frame.header.type == proto::MessageType::terminate) {
        kill_point_.at("terminate");
        pipelines_.clear();  // disposes each (and returns its memory) before we say bye
        send(proto::MessageType::bye, frame.header.request_id, {});
        break;
      }
      handle(frame);
    }
    pipelines_.clear();
    // Wake the reader if the host still holds the connection open, then wait for it.
    ::shutdown(fd_, SHUT_RDWR);
    reader.join();
    ::close(fd_);
    {
      std::lock_guard lock(mu_);
      code = protocol_broken_ ? 3 : 0;
    }
    return code;
  }

 private:
  void send(proto::MessageType type, uint64_t id, std::string_view payload) {
    std::lock_guard lock(write_mu_);
    if (type == proto::MessageType::result && kill_point_.is("call-reply-half")) {
      proto::FrameHeader header;
      header.type = type;
      header.request_id = id;
      header.payload_length = static_cast<uint32_t>(payload.size());
      unsigned char bytes[proto::kHeaderSize];
      proto::encode_header(header, bytes);
      if (::write(fd_, bytes, sizeof bytes) == static_cast<ssize_t>(sizeof bytes)) {
        [[maybe_unused]] const ssize_t n = ::write(fd_, payload.data(), payload.size() / 2);
      }
      kill_point_.at("call-reply-half");
    }
    proto::send_frame(fd_, type, id, payload, shm_threshold_);
  }

  // Answers pings here (so a long call does not look like a hang); everything else is queued.
  void read_loop() {
    proto::FrameDecoder decoder;
    bool hello_seen = false;
    try {
      for (;;) {
        if (!proto::receive_some(fd_, decoder)) {
          decoder.finish();
          // The host went away without terminate: nobody wants the queued work any more.
          std::lock_guard lock(mu_);
          if (!terminate_seen_) queue_.clear();
          break;
        }
        while (auto frame = decoder.next()) {
          const auto type = frame->header.type;
          if (!hello_seen && type != proto::MessageType::hello) {
            throw ProtocolError(std::string("expected hello first, got ") + proto::to_string(type));
          }
          switch (type) {
            case proto::MessageType::hello:
              if (hello_seen) throw ProtocolError("a second hello");
              hello_seen = true;
              greet(*frame);
              continue;
            case proto::MessageType::ping:
              if (frame->header.payload_length != 0) throw ProtocolError("a ping with a payload");
              send(proto::MessageType::pong, frame->header.request_id, {});
              continue;
            case proto::MessageType::cancel: {  // read here: the call it stops is running on the executor
              if (frame->header.payload_length != 0) throw ProtocolError("a cancel with a payload");
              std::lock_guard lock(mu_);
              cancelled_.insert(frame->header.request_id);
              continue;
            }
            case proto::MessageType::load:
            case proto::MessageType::unload:
            case proto::MessageType::call:
            case proto::MessageType::memory_request:
            case proto::MessageType::terminate: {
              std::lock_guard lock(mu_);
              if (type == proto::MessageType::terminate) terminate_seen_ = true;
              queue_.push_back(std::move(*frame));
              cv_.notify_one();
              continue;
            }
            default:
              throw ProtocolError(std::string("a ") + proto::to_string(type) + " frame is not a request");
          }
        }
      }
    } catch (const WorkerCrashedError&) {
      // The connection was reset or a write found it closed: the host is gone, as at end of stream.
      std::lock_guard lock(mu_);
      if (!terminate_seen_) queue_.clear();
    } catch (const std::exception& e) {
      // Tell the host why (best effort: it may be gone), and stop taking work.
      std::fprintf(stderr, "transformers-cpp worker: %s\n", e.what());
      try {
        send(proto::MessageType::error, 0, proto::encode_error({proto::error_kind_of(e), e.what()}));
      } catch (const std::exception&) {
      }
      std::lock_guard lock(mu_);
      protocol_broken_ = true;
      queue_.clear();
    }
    std::lock_guard lock(mu_);
    closed_ = true;
    cv_.notify_one();
  }

  void greet(const proto::Frame& frame) {
    const auto hello = proto::decode_hello(frame.payload());
    shm_threshold_ = hello.shm_threshold;
    // The runtime must be configured before the first pipeline (no pipeline exists yet here).
    RuntimeOptions runtime = runtime_options();
    runtime.intra_op_threads = hello.intra_op_threads;
    configure_runtime(runtime);
    if (hello.release_policy) {
      AllocatorOptions alloc = allocator_options();
      alloc.policy = *hello.release_policy;
      configure_allocator(alloc);
    }
    proto::Hello answer;
    answer.pid = static_cast<int32_t>(::getpid());
    answer.intra_op_threads = hello.intra_op_threads;
    answer.shm_threshold = hello.shm_threshold;
    answer.release_policy = hello.release_policy;
    answer.name = hello.name;
    kill_point_.at("hello");
    send(proto::MessageType::hello, frame.header.request_id, proto::encode_hello(answer));
  }

  // The pipeline for a key, loaded on first use (pipelines/pipeline_key.hpp: the host's pool uses the same).
  Pipeline& pipeline_for(const proto::PipelineKey& raw, bool* loaded_now) {
    proto::PipelineKey key = raw;
    key.task = canonical_task(raw.task);
    const std::string id = pipeline_key(key.task, key.model, key.options);
    auto it = pipelines_.find(id);
    if (loaded_now) *loaded_now = it == pipelines_.end();
    if (it == pipelines_.end()) {
      it = pipelines_.emplace(id, pipeline(key.task, key.model, key.options)).first;
    }
    return it->second;
  }

  void handle(const proto::Frame& frame) {
    const uint64_t id = frame.header.request_id;
    std::string reply;
    proto::MessageType reply_type = proto::MessageType::done;
    try {
      switch (frame.header.type) {
        case proto::MessageType::load: {
          kill_point_.at("load");
          bool loaded_now = false;
          pipeline_for(proto::decode_key(frame.payload()), &loaded_now);
          reply = proto::encode_done({loaded_now, static_cast<uint32_t>(pipelines_.size())});
          break;
        }
        case proto::MessageType::unload: {
          kill_point_.at("unload");
          const proto::PipelineKey key = proto::decode_key(frame.payload());
          const bool was_loaded = pipelines_.erase(pipeline_key(key.task, key.model, key.options)) > 0;
          reply = proto::encode_done({was_loaded, static_cast<uint32_t>(pipelines_.size())});
          break;
        }
        case proto::MessageType::call: {
          kill_point_.at("call");
          const WorkerCall call = proto::decode_call(frame.payload());
          Pipeline& p = pipeline_for({call.task, call.model.string(), call.pipeline_options}, nullptr);
          proto::CallResult result;
          const PipelineInputs inputs{call.inputs, call.text_pairs, call.chats};
          if (call.on_text) {
            // Each piece goes back as a stream_chunk frame; the host's cancel stops the generation.
            const auto stream = [&](const StreamChunk& chunk) {
              send(proto::MessageType::stream_chunk, id, proto::encode_stream_chunk(chunk));
              kill_point_.at("stream");
              std::lock_guard lock(mu_);
              return cancelled_.count(id) == 0;
            };
            struct Forget {  // a cancel that arrives after the call is harmless; forget it either way
              Server& s;
              uint64_t id;
              ~Forget() {
                std::lock_guard lock(s.mu_);
                s.cancelled_.erase(id);
              }
            } forget{*this, id};
            result.output = p.stream(inputs, call.batched, call.call_options, stream);
          } else {
            result.output = p.call(inputs, call.batched, call.call_options);
          }
          result.pipelines = static_cast<uint32_t>(pipelines_.size());
          reply = proto::encode_result(result);
          reply_type = proto::MessageType::result;
          break;
        }
        case proto::MessageType::memory_request:
          kill_point_.at("memory");
          reply = proto::encode_memory_report(memory_report());
          reply_type = proto::MessageType::memory_report;
          break;
        default:
          throw ProtocolError(std::string("unexpected ") + proto::to_string(frame.header.type) + " request");
      }
    } catch (const std::exception& e) {
      reply = proto::encode_error({proto::error_kind_of(e), e.what()});
      reply_type = proto::MessageType::error;
    }
    if (frame.header.type == proto::MessageType::load) kill_point_.at("load-reply");
    if (frame.header.type == proto::MessageType::call) kill_point_.at("call-reply");
    try {
      send(reply_type, id, reply);
    } catch (const WorkerCrashedError&) {
      // The host is gone; the reader sees it too and the loop ends.
    } catch (const std::exception& e) {
      std::fprintf(stderr, "transformers-cpp worker: cannot answer request %llu: %s\n",
                   static_cast<unsigned long long>(id), e.what());
    }
  }

  const int fd_;
  const KillPoint kill_point_;
  size_t shm_threshold_ = 256u << 10;  // written by the reader at hello, before any request is queued
  std::mutex write_mu_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<proto::Frame> queue_;
  bool closed_ = false, terminate_seen_ = false, protocol_broken_ = false;
  std::map<std::string, Pipeline> pipelines_;  // executor thread only
  std::set<uint64_t> cancelled_;               // calls the host asked to stop (under mu_)
};
}  // namespace

int serve_worker(int fd) { return Server(fd).serve(); }

}  // namespace transformers::workers
