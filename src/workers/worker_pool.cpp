// WorkerPool: one manager thread per worker slot collects the worker's answers in the order the calls
// were sent, passes them to the callers, and replaces the worker (recycle, crash) once it has drained.
// Calls that arrive while a worker is due for replacement wait in the slot and go to the fresh worker:
// none is lost, and two incarnations never hold the slot's pipelines at once.
#include "transformers/worker_pool.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <thread>

#include "workers/job_outcome.hpp"
#include "pipelines/pipeline_key.hpp"

namespace transformers {

// One call through the pool: what to send to a worker, and the caller's promise.
struct WorkerPool::Job {
  virtual ~Job() = default;
  virtual void send(Worker& worker) = 0;  // may throw (a worker that refuses the call)
  virtual void wait() = 0;                // until the worker answered
  virtual bool ok() = 0;                  // after wait(): did the worker's call succeed
  virtual bool crashed() = 0;             // after wait(): did it fail with WorkerCrashedError
  virtual void deliver() = 0;             // the worker's answer to the caller
  virtual void fail(std::exception_ptr error) = 0;  // instead of send/wait/deliver
  bool counted = true;                    // a call (not a load): counts toward stats and max_calls
};

template <class T, class Send>
struct WorkerPool::TypedJob final : WorkerPool::Job {
  TypedJob(Send s, bool is_call) : sender(std::move(s)) { counted = is_call; }
  Send sender;
  std::promise<T> promise;
  std::future<T> at_worker;
  workers::JobOutcome<T> outcome;

  void send(Worker& worker) override { at_worker = sender(worker); }
  // An invalid future (a worker bug) or a broken promise becomes this call's error, never a hang.
  void wait() override { outcome.capture([this] { return at_worker.get(); }); }
  bool ok() override { return !outcome.error; }
  bool crashed() override {
    if (!outcome.error) return false;
    try {
      std::rethrow_exception(outcome.error);
    } catch (const WorkerCrashedError&) {
      return true;
    } catch (...) {
      return false;
    }
  }
  void deliver() override { outcome.deliver(promise); }
  void fail(std::exception_ptr e) override { promise.set_exception(std::move(e)); }
};

namespace {
enum class Restart { none, calls, memory, crash };
}  // namespace

struct WorkerPool::Slot {
  size_t index = 0;
  WorkerOptions options;
  std::mutex mutex;  // everything below but the counters
  std::condition_variable cv;
  std::shared_ptr<Worker> worker;               // null while being replaced (or after a failed start)
  uint64_t sent = 0;                            // calls sent to this incarnation
  std::deque<std::unique_ptr<Job>> at_worker;   // sent, not yet answered, in send order
  std::deque<std::unique_ptr<Job>> waiting;     // for the next incarnation
  Restart restart = Restart::none;              // the current incarnation takes no more calls
  bool stopping = false;
  bool exited = false;  // the manager has gone: nothing sent here could be answered any more
  bool replacing = false;  // between retiring a worker and starting its successor
  std::atomic<uint64_t> in_flight{0}, completed{0}, failed{0}, restarts{0};
  size_t keys = 0;  // affinity keys placed here (under the pool's mutex)
  std::thread manager;

  bool needs_fresh() const { return restart != Restart::none || !worker; }
};

WorkerPool::WorkerPool(WorkerPoolOptions options) : options_(std::move(options)) {
  if (options_.workers == 0) throw InvalidInputError("a worker pool needs at least one worker");
  if (!options_.factory) options_.factory = [](const WorkerOptions& o) { return make_worker(o); };
  const std::string base = options_.worker.name.empty() ? "pool" : options_.worker.name;
  for (size_t i = 0; i < options_.workers; ++i) {
    auto slot = std::make_unique<Slot>();
    slot->index = i;
    slot->options = options_.worker;
    slot->options.name = base + "-" + std::to_string(i);
    slot->worker = options_.factory(slot->options);  // a throw here destroys (terminates) those made
    if (!slot->worker) throw InvalidInputError("the worker pool's factory returned no worker");
    slots_.push_back(std::move(slot));
  }
  for (auto& slot : slots_) {
    try {
      slot->manager = std::thread([this, s = slot.get()] { manage(*s); });
    } catch (...) {
      shutdown(true);
      throw;
    }
  }
}

WorkerPool::~WorkerPool() { terminate(); }

void WorkerPool::terminate() { shutdown(false); }
void WorkerPool::kill() { shutdown(true); }

void WorkerPool::shutdown(bool kill_calls) {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;  // submit() refuses from now on
  }
  for (auto& slot : slots_) {
    std::deque<std::unique_ptr<Job>> dropped;
    std::shared_ptr<Worker> worker;
    {
      std::lock_guard lock(slot->mutex);
      slot->stopping = true;
      if (kill_calls) {
        dropped.swap(slot->waiting);
        worker = slot->worker;
      }
    }
    slot->cv.notify_all();
    for (auto& job : dropped) {
      finish(*slot, *job, false);
      job->fail(std::make_exception_ptr(WorkerTerminatedError("the worker pool was killed before this call ran")));
    }
    // Its queued calls fail and come back through the manager, which then exits.
    if (worker) worker->kill();
  }
  std::lock_guard life(lifecycle_mutex_);  // one thread joins; a concurrent terminate() waits for it
  for (auto& slot : slots_) {
    if (slot->manager.joinable()) slot->manager.join();
  }
}

template <class T, class Send>
std::future<T> WorkerPool::route(const std::string& key, bool counted, Send send) {
  // The bound is checked and taken in one step, so concurrent submitters cannot overshoot it.
  uint64_t n = outstanding_.load();
  do {
    if (options_.max_queue != 0 && n >= options_.max_queue) {
      ++rejected_;
      throw QueueFullError("the worker pool's queue is full (" + std::to_string(options_.max_queue) +
                           " calls outstanding); retry later or raise max_queue");
    }
  } while (!outstanding_.compare_exchange_weak(n, n + 1));

  Slot* slot = nullptr;
  {
    std::lock_guard lock(mutex_);
    if (closed_) {
      --outstanding_;
      throw WorkerTerminatedError("the worker pool has been terminated");
    }
    std::vector<size_t>& placed = affinity_[key];
    auto busy = [&](size_t i) { return std::make_pair(slots_[i]->in_flight.load(), slots_[i]->keys); };
    size_t chosen = slots_.size();
    for (size_t i : placed) {
      if (chosen == slots_.size() || busy(i) < busy(chosen)) chosen = i;
    }
    const bool place = chosen == slots_.size() ||
                       (slots_[chosen]->in_flight.load() > 0 && placed.size() < std::max<size_t>(options_.replicas, 1));
    if (place) {
      // Least loaded now; ties go to the slot holding fewer keys, then the lower index.
      size_t best = slots_.size();
      for (size_t i = 0; i < slots_.size(); ++i) {
        if (std::find(placed.begin(), placed.end(), i) != placed.end()) continue;
        if (best == slots_.size() || busy(i) < busy(best)) best = i;
      }
      // A replica only where the call would wait less than on the least busy copy.
      if (best != slots_.size() && (chosen == slots_.size() || slots_[best]->in_flight.load() < slots_[chosen]->in_flight.load())) {
        ++slots_[best]->keys;
        placed.push_back(best);
        chosen = best;
      }
    }
    slot = slots_[chosen].get();
    ++slot->in_flight;  // before the pool lock is released, so the next placement sees it
  }
  auto job = std::make_unique<TypedJob<T, Send>>(std::move(send), counted);
  std::future<T> future = job->promise.get_future();
  {
    std::lock_guard lock(slot->mutex);
    send_locked(*slot, std::move(job));
  }
  slot->cv.notify_all();
  return future;
}

std::future<Output> WorkerPool::submit(WorkerCall call) {
  const std::string key = pipeline_key(call.task, call.model, call.pipeline_options);
  return route<Output>(key, true, [call = std::move(call)](Worker& w) mutable { return w.submit(std::move(call)); });
}

std::future<void> WorkerPool::load(std::string task, std::filesystem::path model, PipelineOptions options) {
  const std::string key = pipeline_key(task, model, options);
  return route<void>(key, false, [task = std::move(task), model = std::move(model), options = std::move(options)](
                                     Worker& w) mutable { return w.load(std::move(task), std::move(model), std::move(options)); });
}

std::optional<size_t> WorkerPool::worker_for(const std::string& task, const std::filesystem::path& model,
                                             const PipelineOptions& options) const {
  const std::vector<size_t> all = workers_for(task, model, options);
  if (all.empty()) return std::nullopt;
  return all.front();
}

std::vector<size_t> WorkerPool::workers_for(const std::string& task, const std::filesystem::path& model,
                                            const PipelineOptions& options) const {
  const std::string key = pipeline_key(task, model, options);
  std::lock_guard lock(mutex_);
  auto it = affinity_.find(key);
  return it == affinity_.end() ? std::vector<size_t>{} : it->second;
}

void WorkerPool::finish(Slot& slot, Job& job, bool ok) {
  // Counted before the caller wakes: a caller that resubmits at once finds the room it freed.
  if (job.counted) ++(ok ? slot.completed : slot.failed);
  --slot.in_flight;
  --outstanding_;
}

void WorkerPool::send_locked(Slot& slot, std::unique_ptr<Job> job) {
  if (slot.exited) {  // a submit that raced terminate(): refused, never left unanswered
    finish(slot, *job, false);
    job->fail(std::make_exception_ptr(WorkerTerminatedError("the worker pool has been terminated")));
    return;
  }
  if (!slot.needs_fresh() && options_.restart_on_crash && !slot.worker->alive()) {
    slot.restart = Restart::crash;  // died between calls (health check): the call goes to a fresh worker
  }
  if (slot.needs_fresh()) {
    slot.waiting.push_back(std::move(job));
    return;
  }
  try {
    job->send(*slot.worker);
  } catch (...) {
    // Refused on the spot (a dead or terminated worker): this call fails, the slot may be renewed.
    const std::exception_ptr error = std::current_exception();
    bool crashed = false;
    try {
      std::rethrow_exception(error);
    } catch (const WorkerCrashedError&) {
      crashed = true;
    } catch (...) {
    }
    if (crashed && options_.restart_on_crash) slot.restart = Restart::crash;
    finish(slot, *job, false);
    job->fail(error);
    return;
  }
  if (job->counted) ++slot.sent;
  slot.at_worker.push_back(std::move(job));
  if (options_.recycle.max_calls != 0 && slot.sent >= options_.recycle.max_calls && slot.restart == Restart::none) {
    slot.restart = Restart::calls;  // later calls wait for the fresh worker
  }
}

bool WorkerPool::over_memory(Worker& worker) const {
  const uint64_t limit = options_.recycle.max_rss_bytes;
  if (limit == 0) return false;
  try {
    const MemoryReport r = worker.memory_report();
    if (worker.kind() == WorkerKind::process) return r.process.rss > limit;
    uint64_t peak = 0;
    for (const auto& p : r.pipelines) peak += p.peak_in_use;
    return peak > limit;
  } catch (const std::exception&) {
    return false;  // a worker that cannot report is handled by crash detection, not here
  }
}

void WorkerPool::replace_worker(Slot& slot, std::unique_lock<std::mutex>& lock) {
  const Restart why = slot.worker ? slot.restart : Restart::none;
  std::shared_ptr<Worker> old = std::move(slot.worker);
  slot.replacing = true;
  lock.unlock();
  if (old) {
    try {
      if (why == Restart::crash) old->kill();  // nothing to drain; reaps a dead child
      else old->terminate();                   // its calls are all answered already: this returns memory
    } catch (const std::exception&) {
      // a worker that fails to stop cleanly is dropped all the same
    }
    old.reset();
    ++slot.restarts;
    if (why == Restart::calls) ++recycled_calls_;
    if (why == Restart::memory) ++recycled_memory_;
    if (why == Restart::crash) ++crash_restarts_;
  }
  std::shared_ptr<Worker> fresh;
  std::exception_ptr start_error;
  {
    std::unique_lock check(slot.mutex);
    const bool wanted = !slot.stopping || !slot.waiting.empty();
    check.unlock();
    if (wanted) {
      try {
        fresh = options_.factory(slot.options);
        if (!fresh) throw InvalidInputError("the worker pool's factory returned no worker");
      } catch (...) {
        start_error = std::current_exception();
      }
    }
  }
  lock.lock();
  slot.replacing = false;
  slot.restart = Restart::none;
  slot.sent = 0;
  slot.worker = std::move(fresh);
  slot.cv.notify_all();  // memory_report() may be waiting for the successor
  std::deque<std::unique_ptr<Job>> pending;
  pending.swap(slot.waiting);
  if (!slot.worker) {
    // Could not start one: the waiting calls fail with the reason; the next call tries again.
    for (auto& job : pending) {
      finish(slot, *job, false);
      job->fail(start_error ? start_error
                            : std::make_exception_ptr(WorkerTerminatedError("the worker pool is shutting down")));
    }
    return;
  }
  for (auto& job : pending) send_locked(slot, std::move(job));  // in arrival order; may fill max_calls again
}

void WorkerPool::manage(Slot& slot) {
  std::unique_lock lock(slot.mutex);
  for (;;) {
    slot.cv.wait(lock, [&] {
      return !slot.at_worker.empty() || (slot.needs_fresh() && (!slot.waiting.empty() || (slot.worker && !slot.stopping))) ||
             slot.stopping;
    });
    if (!slot.at_worker.empty()) {
      // The oldest call: the worker answers in order, so waiting on it first costs nothing.
      std::unique_ptr<Job> job = std::move(slot.at_worker.front());
      slot.at_worker.pop_front();
      std::shared_ptr<Worker> worker = slot.worker;
      lock.unlock();
      job->wait();
      const bool ok = job->ok(), crashed = job->crashed();
      const bool heavy = ok && job->counted && worker && over_memory(*worker);
      lock.lock();
      // Decided before the caller wakes, so the caller's next call already goes to a fresh worker.
      if (slot.worker == worker && slot.restart == Restart::none) {
        if (crashed && options_.restart_on_crash) slot.restart = Restart::crash;
        else if (heavy) slot.restart = Restart::memory;
      }
      lock.unlock();
      finish(slot, *job, ok);
      job->deliver();
      job.reset();
      lock.lock();
      continue;
    }
    if (slot.needs_fresh() && (!slot.waiting.empty() || (slot.worker && !slot.stopping))) {
      replace_worker(slot, lock);  // drained: nothing of the old incarnation is at work
      continue;
    }
    if (slot.stopping) break;
  }
  slot.exited = true;
  // Stopping and drained: the last incarnation goes (terminate is a no-op after kill()).
  std::shared_ptr<Worker> last = std::move(slot.worker);
  lock.unlock();
  if (last) {
    try {
      last->terminate();
    } catch (const std::exception&) {
    }
  }
}

WorkerPoolStats WorkerPool::stats() const {
  WorkerPoolStats s;
  for (const auto& slot : slots_) {
    std::shared_ptr<Worker> worker;
    {
      std::lock_guard lock(slot->mutex);
      worker = slot->worker;
    }
    WorkerStats w;
    try {
      if (worker) w = worker->stats();
    } catch (const std::exception&) {
      w.alive = false;  // a worker that cannot say is reported as not alive
    }
    w.name = slot->options.name;
    w.kind = slot->options.kind;
    w.alive = worker && w.alive;
    w.calls_completed = slot->completed.load();
    w.calls_failed = slot->failed.load();
    w.in_flight = slot->in_flight.load();
    w.restarts = slot->restarts.load();
    s.workers.push_back(w);
  }
  s.queued = outstanding_.load();
  s.rejected = rejected_.load();
  s.recycled_calls = recycled_calls_.load();
  s.recycled_memory = recycled_memory_.load();
  s.crash_restarts = crash_restarts_.load();
  return s;
}

MemoryReport WorkerPool::memory_report(size_t index) const {
  if (index >= slots_.size()) {
    throw InvalidInputError("worker index " + std::to_string(index) + " out of range (the pool has " +
                            std::to_string(slots_.size()) + ")");
  }
  Slot& slot = *slots_[index];
  for (;;) {
    std::shared_ptr<Worker> worker;
    {
      std::unique_lock lock(slot.mutex);
      slot.cv.wait(lock, [&] { return !slot.replacing; });  // a recycle in progress: report its successor
      worker = slot.worker;
    }
    if (!worker) throw WorkerTerminatedError("worker " + std::to_string(index) + " has stopped (or could not be restarted)");
    try {
      return worker->memory_report();
    } catch (const WorkerTerminatedError&) {
      std::lock_guard lock(slot.mutex);
      if (slot.worker == worker && !slot.replacing) throw;
      // retired while we asked (a recycle): ask the worker that is there now
    }
  }
}

}  // namespace transformers
