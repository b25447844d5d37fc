// Workers: pipelines that live on a dedicated thread (ThreadWorker) or in a child process
// (ProcessWorker), behind one interface. Terminating a worker returns what its pipelines held
// (docs/workers.md).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "transformers/error.hpp"
#include "transformers/memory.hpp"
#include "transformers/memory_report.hpp"
#include "transformers/pipeline.hpp"

namespace transformers {

// The worker died (signal, abort, out of memory, lost connection) with this call in flight or queued.
class WorkerCrashedError : public Error {
 public:
  using Error::Error;
  ErrorCode code() const noexcept override { return ErrorCode::worker_crashed; }
};

// A bounded queue is full: the call is refused at once instead of waiting.
class QueueFullError : public Error {
 public:
  using Error::Error;
  ErrorCode code() const noexcept override { return ErrorCode::queue_full; }
};

// The worker was terminated or killed; it takes no more calls.
class WorkerTerminatedError : public Error {
 public:
  using Error::Error;
  ErrorCode code() const noexcept override { return ErrorCode::worker_terminated; }
};

// The bytes between two ends of a process worker broke the protocol (bad magic, version, length, type).
class ProtocolError : public Error {
 public:
  using Error::Error;
  ErrorCode code() const noexcept override { return ErrorCode::protocol; }
};

enum class WorkerKind { thread, process };
const char* to_string(WorkerKind kind);
WorkerKind parse_worker_kind(std::string_view text);  // "thread" | "process"; InvalidInputError otherwise

struct WorkerOptions {
  WorkerKind kind = WorkerKind::thread;
  std::string name;  // for reports and logs; empty = "worker-<n>"
  // Default release policy of the pipelines loaded in the worker (unset = the runtime default).
  std::optional<ReleasePolicy> release_policy;

  // ---- process workers ----
  // The program to exec; empty = the TRANSFORMERS_WORKER_EXECUTABLE environment variable, else
  // `transformers-cpp` next to the running executable, else on PATH. It is run as `<exe> worker --fd N`.
  std::filesystem::path executable;
  // Hard cap on the child's address space (RLIMIT_AS) or memory (cgroup v2 memory.max where
  // writable); 0 = none. A breach ends only that worker: its calls fail with WorkerCrashedError.
  uint64_t memory_limit_bytes = 0;
  // Ping interval; a worker that does not answer within health_timeout is treated as crashed.
  std::chrono::milliseconds health_interval{1000};
  std::chrono::milliseconds health_timeout{5000};
  // Outputs (and inputs) larger than this travel through shared memory (memfd) instead of the socket.
  size_t shared_memory_threshold = 256u << 10;
  int intra_op_threads = 0;  // the child's ONNX Runtime pool size; 0 = one per core
};

// One call: run `inputs` through the pipeline (task, model, options), loading it first if the worker
// does not hold it yet. `batched` = the caller passed a list (Transformers.js output shapes differ).
struct WorkerCall {
  std::string task;
  std::filesystem::path model;
  PipelineOptions pipeline_options;
  std::vector<std::string> inputs;
  std::vector<std::string> text_pairs;  // empty, or one per input (TextPair inputs: QA, sentence pairs)
  bool batched = true;
  CallOptions call_options;
  std::vector<Chat> chats;  // text-generation: chats instead of inputs
  // Generation tasks: the text as it is generated (Pipeline::stream's callback; returning false stops the
  // call). It runs on the worker's thread (thread workers) or the host's reader thread (process workers),
  // never concurrently with itself for one call; an exception it throws fails the call.
  StreamCallback on_text;
};

struct WorkerStats {
  std::string name;
  WorkerKind kind = WorkerKind::thread;
  int pid = 0;                  // the child's pid for process workers, this process's otherwise
  bool alive = false;
  uint64_t calls_completed = 0;
  uint64_t calls_failed = 0;
  uint64_t in_flight = 0;       // submitted and not yet answered
  uint64_t pipelines_loaded = 0;
  uint64_t restarts = 0;        // set by a WorkerPool
};

class Worker {
 public:
  virtual ~Worker() = default;  // implementations terminate()
  Worker() = default;
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  virtual WorkerKind kind() const = 0;
  // Loads a pipeline inside the worker (no-op if it is there). Errors (ModelLoadError, ...) arrive
  // through the future with their own type.
  virtual std::future<void> load(std::string task, std::filesystem::path model, PipelineOptions options = {}) = 0;
  // Disposes it; the future says whether it was loaded.
  virtual std::future<bool> unload(std::string task, std::filesystem::path model, PipelineOptions options = {}) = 0;
  virtual std::future<Output> submit(WorkerCall call) = 0;
  // The memory report as seen inside the worker: for a process worker, the child's whole report
  // (its RSS, its allocator, its pipelines); for a thread worker, this process's report restricted to
  // the worker's pipelines (process figures are the host's).
  virtual MemoryReport memory_report() = 0;
  // Finishes in-flight and queued calls, disposes every pipeline, returns the memory (trim; for a
  // process worker the child exits and is reaped). Idempotent; later calls throw WorkerTerminatedError.
  virtual void terminate() = 0;
  // Stops now: queued calls fail with WorkerTerminatedError (thread) or WorkerCrashedError (process,
  // SIGKILL). A thread cannot be killed mid-inference: the running call finishes first.
  virtual void kill() = 0;
  virtual bool alive() const = 0;
  virtual WorkerStats stats() const = 0;
};

std::unique_ptr<Worker> make_worker(const WorkerOptions& options = {});

}  // namespace transformers
