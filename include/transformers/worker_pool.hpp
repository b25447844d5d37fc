// WorkerPool: N workers of one kind (thread or process) behind one submit(). A pipeline key lives in one
// worker (affinity); the pool's queue is bounded (QueueFullError at once, never unbounded growth);
// workers are recycled after M calls or past a memory threshold, draining first, which makes the
// long-lived vs one-shot worker trade-off a setting (docs/workers.md).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "transformers/worker.hpp"

namespace transformers {

// When a worker is replaced by a fresh one. Both 0 = never (long-lived workers).
struct RecyclePolicy {
  // After this many calls (loads not counted). 1 = one-shot: every call gets a fresh worker.
  uint64_t max_calls = 0;
  // After a call that leaves the worker above this many bytes. Process workers: the child's RSS.
  // Thread workers have no RSS of their own (they share the host's), so the figure is the sum of their
  // pipelines' peak_in_use (our allocator's working-memory high-water mark); weights are not in it.
  // Checked after every call (for process workers, one memory-report round trip per call).
  uint64_t max_rss_bytes = 0;
};

struct WorkerPoolOptions {
  size_t workers = 2;
  WorkerOptions worker;  // for every worker; names become "<name or pool>-<index>"
  // Calls submitted to the pool and not yet answered, over the whole pool (queued, waiting for a
  // recycled worker, or running); one more is refused with QueueFullError. 0 = unbounded.
  // Per pool, not per worker: it bounds the memory the pool's pending inputs hold, whatever the mix.
  size_t max_queue = 64;
  RecyclePolicy recycle;
  // Workers one key may live in. 1 = strict affinity (one copy of each pipeline). R > 1: a call goes to
  // the least-busy worker holding its key, and when all of them are busy the key is also placed on the
  // least-loaded other worker, up to R; what one hot model needs to use several workers.
  size_t replicas = 1;
  // A worker that crashed (process workers) is replaced; the calls it held fail with WorkerCrashedError.
  // false: the slot stays dead and its calls fail.
  bool restart_on_crash = true;
  // Makes each worker (wrappers, tests); empty = make_worker().
  std::function<std::unique_ptr<Worker>(const WorkerOptions&)> factory;
};

struct WorkerPoolStats {
  // Per worker slot, cumulated over its restarts: calls_completed / calls_failed / in_flight (submitted
  // to this slot and not answered, including calls waiting for a recycled worker) / restarts, counted by
  // the pool; name, pid, alive and pipelines_loaded from the current worker.
  std::vector<WorkerStats> workers;
  uint64_t queued = 0;             // calls submitted and not answered, the figure max_queue bounds
  uint64_t rejected = 0;           // QueueFullError so far
  uint64_t recycled_calls = 0;     // restarts by max_calls
  uint64_t recycled_memory = 0;    // restarts by max_rss_bytes
  uint64_t crash_restarts = 0;     // restarts after a crash
};

class WorkerPool {
 public:
  // Starts the workers now; throws what make_worker throws (nothing is left running).
  explicit WorkerPool(WorkerPoolOptions options = {});
  ~WorkerPool();  // terminate()
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Routes the call to the worker its (task, model, pipeline options) key lives in, placing the key on
  // the least-loaded worker on first use. Throws QueueFullError at once when max_queue calls are
  // outstanding, WorkerTerminatedError after terminate()/kill(). Errors of the call itself
  // (ModelLoadError, InvalidInputError, WorkerCrashedError, ...) arrive through the future.
  std::future<Output> submit(WorkerCall call);
  // Places the key (as submit would) and loads its pipeline there. Counts in the queue, not as a call.
  std::future<void> load(std::string task, std::filesystem::path model, PipelineOptions options = {});
  // The worker index a key lives on (the first, with replicas); nullopt if no call placed it yet.
  std::optional<size_t> worker_for(const std::string& task, const std::filesystem::path& model,
                                   const PipelineOptions& options = {}) const;
  // Every worker index the key lives on, in placement order.
  std::vector<size_t> workers_for(const std::string& task, const std::filesystem::path& model,
                                  const PipelineOptions& options = {}) const;

  size_t size() const { return slots_.size(); }
  WorkerPoolStats stats() const;
  // The memory report of worker `index` (see Worker::memory_report); during a recycle, its successor's
  // (waits for it to start). Throws InvalidInputError for a bad index, WorkerTerminatedError after
  // terminate() or when the successor could not be started.
  MemoryReport memory_report(size_t index) const;

  // Answers every call already submitted (none is lost), then terminates the workers. Idempotent.
  void terminate();
  // Fails calls not yet at a worker with WorkerTerminatedError and kills the workers (see Worker::kill).
  void kill();

 private:
  struct Job;
  template <class T, class Send>
  struct TypedJob;
  struct Slot;
  template <class T, class Send>
  std::future<T> route(const std::string& key, bool counted, Send send);
  void manage(Slot& slot);
  void send_locked(Slot& slot, std::unique_ptr<Job> job);
  void finish(Slot& slot, Job& job, bool ok);
  void replace_worker(Slot& slot, std::unique_lock<std::mutex>& lock);
  bool over_memory(Worker& worker) const;
  void shutdown(bool kill_calls);

  WorkerPoolOptions options_;
  std::vector<std::unique_ptr<Slot>> slots_;
  mutable std::mutex mutex_;  // affinity_, closed_
  std::map<std::string, std::vector<size_t>> affinity_;  // key -> slots, placement order
  bool closed_ = false;
  std::mutex lifecycle_mutex_;
  std::atomic<uint64_t> outstanding_{0}, rejected_{0};
  std::atomic<uint64_t> recycled_calls_{0}, recycled_memory_{0}, crash_restarts_{0};
};

}  // namespace transformers
