// ThreadWorker: pipelines that live on one dedicated thread. Calls queue up and run in order on that
// thread; each answers through its own promise. Terminating disposes the pipelines on the thread that
// used them, trims, and joins: the working memory, the weights mappings and the C heap's free pages go
// back to the OS (tests/workers/thread_worker_test.cpp measures it on /proc).
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "workers/job_outcome.hpp"
#include "workers/worker_factories.hpp"
#include "pipelines/pipeline_key.hpp"

namespace transformers::workers {

namespace {

std::atomic<uint64_t> g_worker_counter{0};

// One queued operation. Either run() then deliver(), or fail(): the promise is always kept, once.
struct Job {
  virtual ~Job() = default;
  virtual bool run() = 0;      // on the worker thread; keeps the result or error; false if it failed
  virtual void deliver() = 0;  // hands what run() kept to the caller
  virtual void fail(std::exception_ptr error) = 0;  // instead of running, e.g. on kill()
};

template <class T, class F>
struct TypedJob final : Job {
  explicit TypedJob(F f) : body(std::move(f)) {}
  F body;
  std::promise<T> promise;
  JobOutcome<T> outcome;
  bool run() override {
    outcome.capture(body);
    return !outcome.error;
  }
  void deliver() override { outcome.deliver(promise); }
  void fail(std::exception_ptr e) override { promise.set_exception(std::move(e)); }
};

class ThreadWorker final : public Worker {
 public:
  explicit ThreadWorker(const WorkerOptions& options)
      : options_(options),
        name_(options.name.empty() ? "worker-" + std::to_string(++g_worker_counter) : options.name) {
    thread_ = std::thread([this] { loop(); });
  }

  ~ThreadWorker() override {
    try {
      terminate();
    } catch (...) {
      // terminate() does not throw in practice (trim and join); a destructor must not either
    }
  }

  WorkerKind kind() const override { return WorkerKind::thread; }

  std::future<void> load(std::string task, std::filesystem::path model, PipelineOptions options) override {
    return enqueue<void>([this, task = std::move(task), model = std::move(model), options = std::move(options)] {
      pipeline_for(task, model, options);
    }, false);
  }

  std::future<bool> unload(std::string task, std::filesystem::path model, PipelineOptions options) override {
    return enqueue<bool>([this, task = std::move(task), model = std::move(model), options = std::move(options)] {
      const std::string key = pipeline_key(task, model, effective(options));
      std::unique_ptr<Entry> entry;
      {
        std::lock_guard lock(pipelines_mutex_);
        auto it = pipelines_.find(key);
        if (it == pipelines_.end()) return false;
        entry = std::move(it->second);
        pipelines_.erase(it);
      }
      entry->pipeline.dispose();  // on the worker thread, outside the lock: memory_report() need not wait
      return true;
    }, false);
  }

  std::future<Output> submit(WorkerCall call) override {
    return enqueue<Output>([this, call = std::move(call)] {
      const Pipeline& p = pipeline_for(call.task, call.model, call.pipeline_options);
      const PipelineInputs inputs{call.inputs, call.text_pairs, call.chats};
      if (call.on_text) return p.stream(inputs, call.batched, call.call_options, call.on_text);
      return p.call(inputs, call.batched, call.call_options);
    }, true);
  }

  MemoryReport memory_report() override {
    std::set<uint64_t> owners;
    {
      std::lock_guard lock(pipelines_mutex_);
      for (const auto& [key, e] : pipelines_) owners.insert(e->owner);
    }
    MemoryReport r = transformers::memory_report();
    std::erase_if(r.pipelines, [&](const PipelineMemoryRow& row) { return !owners.count(row.owner); });
    return r;
  }

  void terminate() override { stop(false); }
  void kill() override { stop(true); }

  bool alive() const override {
    std::lock_guard lock(mutex_);
    return state_ == State::running;
  }

  WorkerStats stats() const override {
    WorkerStats s;
    s.name = name_;
    s.kind = WorkerKind::thread;
    s.pid = static_cast<int>(::getpid());
    {
      std::lock_guard lock(mutex_);
      s.alive = state_ == State::running;
      s.in_flight = queue_.size() + (busy_ ? 1 : 0);
    }
    s.calls_completed = calls_completed_.load();
    s.calls_failed = calls_failed_.load();
    {
      std::lock_guard lock(pipelines_mutex_);
      s.pipelines_loaded = pipelines_.size();
    }
    return s;
  }

 private:
  enum class State { running, draining, killed };
  struct Entry {
    Pipeline pipeline;
    uint64_t owner = 0;
  };

  PipelineOptions effective(PipelineOptions o) const {
    if (!o.release_policy) o.release_policy = options_.release_policy;
    return o;
  }

  // Worker thread only: finds or loads the pipeline for this key.
  const Pipeline& pipeline_for(const std::string& task, const std::filesystem::path& model,
                               const PipelineOptions& requested) {
    const PipelineOptions options = effective(requested);
    const std::string key = pipeline_key(task, model, options);
    {
      std::lock_guard lock(pipelines_mutex_);
      auto it = pipelines_.find(key);
      if (it != pipelines_.end()) return it->second->pipeline;
    }
    // Loaded outside the lock (it takes tens of ms); only this thread inserts, so no one races us.
    auto entry = std::make_unique<Entry>(Entry{pipeline(task, model, options), 0});
    entry->owner = entry->pipeline.memory_owner();
    std::lock_guard lock(pipelines_mutex_);
    return pipelines_.emplace(key, std::move(entry)).first->second->pipeline;
  }

  template <class T, class F>
  std::future<T> enqueue(F body, bool counted) {
    auto job = std::make_unique<TypedJob<T, F>>(std::move(body));
    std::future<T> future = job->promise.get_future();
    {
      std::lock_guard lock(mutex_);
      if (state_ != State::running) throw WorkerTerminatedError("worker " + name_ + " has been terminated");
      queue_.push_back({std::move(job), counted});
    }
    cv_.notify_one();
    return future;
  }

  struct Queued {
    std::unique_ptr<Job> job;
    bool counted = false;  // a call (stats count calls, not loads)
  };

  void loop() {
    for (;;) {
      Queued q;
      {
        std::unique_lock lock(mutex_);
        cv_.wait(lock, [&] { return !queue_.empty() || state_ != State::running; });
        if (queue_.empty()) break;  // draining with nothing left, or killed (kill() emptied the queue)
        q = std::move(queue_.front());
        queue_.pop_front();
        busy_ = true;
      }
      const bool ok = q.job->run();
      // Counted before the caller wakes, so stats() read after get() include this call.
      if (q.counted) ++(ok ? calls_completed_ : calls_failed_);
      {
        std::lock_guard lock(mutex_);
        busy_ = false;
      }
      q.job->deliver();
    }
    // Disposed here, on the thread that created and ran them, one at a time (no overlapping teardowns).
    std::map<std::string, std::unique_ptr<Entry>> doomed;
    {
      std::lock_guard lock(pipelines_mutex_);
      doomed.swap(pipelines_);
    }
    try {
      for (auto& [key, e] : doomed) e->pipeline.dispose();
      doomed.clear();
      trim();  // whatever each pipeline's release policy: a terminated worker keeps nothing
    } catch (...) {
      // dispose() and trim() do not throw; an escaping exception would end the process
    }
  }

  void stop(bool kill_queued) {
    // The queue is dropped before waiting, so kill() also cuts short a terminate() that is draining.
    std::deque<Queued> dropped;
    {
      std::lock_guard lock(mutex_);
      if (kill_queued && state_ != State::killed) {
        dropped.swap(queue_);
        state_ = State::killed;
      } else if (state_ == State::running) {
        state_ = State::draining;
      }
    }
    cv_.notify_all();
    for (auto& q : dropped) {
      q.job->fail(std::make_exception_ptr(
          WorkerTerminatedError("worker " + name_ + " was killed before this call ran")));
      if (q.counted) ++calls_failed_;
    }
    std::lock_guard life(lifecycle_mutex_);  // one joins; a concurrent terminate()/kill() waits for it
    if (thread_.joinable()) {
      thread_.join();
      trim();  // what the thread's exit freed (its malloc arena's top, thread-local caches)
    }
  }

  const WorkerOptions options_;
  const std::string name_;

  mutable std::mutex mutex_;  // state_, queue_, busy_
  std::condition_variable cv_;
  State state_ = State::running;
  std::deque<Queued> queue_;
  bool busy_ = false;

  mutable std::mutex pipelines_mutex_;  // pipelines_: written by the worker thread, read by reports
  std::map<std::string, std::unique_ptr<Entry>> pipelines_;

  std::mutex lifecycle_mutex_;
  std::atomic<uint64_t> calls_completed_{0}, calls_failed_{0};
  std::thread thread_;  // last: started once everything above exists
};

}  // namespace

std::unique_ptr<Worker> make_thread_worker(const WorkerOptions& options) {
  return std::make_unique<ThreadWorker>(options);
}

}  // namespace transformers::workers
