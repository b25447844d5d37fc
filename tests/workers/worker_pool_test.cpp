// WorkerPool: affinity, the bounded queue, recycling (drain first, no call lost), crash restarts,
// several client threads. Results are checked against in-process pipelines; the ordering-sensitive
// cases (a full queue, calls waiting for a recycled worker, a crash) use a scripted worker whose calls
// are held until the test releases them, so nothing depends on timing.
#include <gtest/gtest.h>

#include <signal.h>

#include <condition_variable>
#include <deque>
#include <thread>

#include "test_support.hpp"
#include "transformers/pipeline.hpp"
#include "transformers/worker_pool.hpp"

using namespace transformers;

namespace {

const std::vector<std::string> kTexts = {"I love this!", "This is terrible.", "a"};

WorkerCall call(const char* task, const char* model, std::vector<std::string> inputs = kTexts) {
  WorkerCall c;
  c.task = task;
  c.model = fixtures::model(model);
  c.inputs = std::move(inputs);
  return c;
}

// ---- a scripted worker: answers with its own serial number once the gate is open ----
struct Script {
  std::mutex m;
  std::condition_variable cv;
  bool gate_open = true;
  bool crash_next = false;  // the next call it runs kills the worker (all its calls fail as crashed)
  int made = 0, live = 0, most_live = 0, terminated = 0;
  std::vector<int> calls_of;  // per worker serial

  void open() {
    std::lock_guard l(m);
    gate_open = true;
    cv.notify_all();
  }
  void close() {
    std::lock_guard l(m);
    gate_open = false;
  }
};

class ScriptedWorker final : public Worker {
 public:
  explicit ScriptedWorker(std::shared_ptr<Script> s) : s_(std::move(s)) {
    std::lock_guard l(s_->m);
    serial_ = s_->made++;
    s_->calls_of.push_back(0);
    s_->most_live = std::max(s_->most_live, ++s_->live);
    thread_ = std::thread([this] { loop(); });
  }
  ~ScriptedWorker() override { terminate(); }
  WorkerKind kind() const override { return WorkerKind::process; }  // crashes are a process-worker thing
  std::future<void> load(std::string, std::filesystem::path, PipelineOptions) override {
    std::promise<void> p;
    p.set_value();
    return p.get_future();
  }
  std::future<bool> unload(std::string, std::filesystem::path, PipelineOptions) override {
    std::promise<bool> p;
    p.set_value(false);
    return p.get_future();
  }
  std::future<Output> submit(WorkerCall) override {
    std::lock_guard l(s_->m);
    if (stopping_) throw WorkerTerminatedError("scripted worker stopped");
    queue_.emplace_back();
    auto f = queue_.back().get_future();
    if (dead_) fail_all_locked(WorkerCrashedError("scripted worker is dead"));
    s_->cv.notify_all();
    return f;
  }
  MemoryReport memory_report() override { return {}; }
  void terminate() override { stop(false); }
  void kill() override { stop(true); }
  bool alive() const override {
    std::lock_guard l(s_->m);
    return !dead_ && !stopping_;
  }
  WorkerStats stats() const override {
    WorkerStats st;
    st.alive = alive();
    return st;
  }

 private:
  template <class E>
  void fail_all_locked(const E& e) {  // a template: the exception keeps its type
    for (auto& p : queue_) p.set_exception(std::make_exception_ptr(e));
    queue_.clear();
  }
  void loop() {
    std::unique_lock l(s_->m);
    for (;;) {
      s_->cv.wait(l, [&] { return (s_->gate_open && !queue_.empty()) || (stopping_ && queue_.empty()) || kill_; });
      if (kill_) fail_all_locked(WorkerTerminatedError("scripted worker killed"));
      if (queue_.empty()) break;
      if (s_->crash_next) {
        s_->crash_next = false;
        dead_ = true;
        fail_all_locked(WorkerCrashedError("scripted worker crashed"));
        continue;
      }
      ++s_->calls_of[serial_];
      queue_.front().set_value(Output(Output::Labels{{{"worker-" + std::to_string(serial_), 1.0f}}}, true, 1));
      queue_.pop_front();
    }
  }
  void stop(bool kill) {
    {
      std::lock_guard l(s_->m);
      if (kill) kill_ = true;
      stopping_ = true;
      s_->cv.notify_all();
    }
    std::lock_guard life(life_);
    if (!thread_.joinable()) return;
    thread_.join();
    std::lock_guard l(s_->m);
    --s_->live;
    ++s_->terminated;
  }
  std::shared_ptr<Script> s_;
  int serial_ = 0;
  std::deque<std::promise<Output>> queue_;
  bool stopping_ = false, kill_ = false, dead_ = false;
  std::mutex life_;
  std::thread thread_;
};

WorkerPoolOptions scripted(const std::shared_ptr<Script>& s, size_t workers = 1) {
  WorkerPoolOptions o;
  o.workers = workers;
  o.factory = [s](const WorkerOptions&) { return std::make_unique<ScriptedWorker>(s); };
  return o;
}

std::string served_by(std::future<Output>& f) { return f.get().labels()[0][0].label; }

WorkerPoolOptions threads(size_t workers, RecyclePolicy recycle = {}, size_t max_queue = 64) {
  WorkerPoolOptions o;
  o.workers = workers;
  o.recycle = recycle;
  o.max_queue = max_queue;
  return o;
}
RecyclePolicy after_calls(uint64_t m) {
  RecyclePolicy r;
  r.max_calls = m;
  return r;
}

}  // namespace

TEST(WorkerPool, AffinityKeepsAModelInOneWorkerAndResultsMatchInProcess) {
  Pipeline cls = pipeline("text-classification", fixtures::model("tiny-bert-sentiment"));
  Pipeline emb = pipeline("feature-extraction", fixtures::model("tiny-bert-embedder"));
  WorkerPool pool(threads(2));
  EXPECT_EQ(pool.size(), 2u);
  EXPECT_FALSE(pool.worker_for("text-classification", fixtures::model("tiny-bert-sentiment")).has_value());
  pool.load("text-classification", fixtures::model("tiny-bert-sentiment")).get();
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(pool.submit(call("sentiment-analysis", "tiny-bert-sentiment")).get().to_json(), cls(kTexts).to_json());
    const Tensor got = pool.submit(call("feature-extraction", "tiny-bert-embedder")).get().tensor();
    EXPECT_EQ(got.data, emb(kTexts).tensor().data);
  }
  const auto a = pool.worker_for("text-classification", fixtures::model("tiny-bert-sentiment"));
  const auto b = pool.worker_for("embeddings", fixtures::model("tiny-bert-embedder"));
  ASSERT_TRUE(a && b);
  EXPECT_NE(*a, *b) << "the second model goes to the idle worker";
  const WorkerPoolStats s = pool.stats();
  EXPECT_EQ(s.workers[*a].calls_completed, 3u);
  EXPECT_EQ(s.workers[*b].calls_completed, 3u);
  EXPECT_EQ(s.workers[*a].pipelines_loaded, 1u);
  EXPECT_EQ(s.workers[*b].pipelines_loaded, 1u);
  EXPECT_EQ(s.queued, 0u);
  ASSERT_EQ(pool.memory_report(*a).pipelines.size(), 1u);
  EXPECT_EQ(pool.memory_report(*a).pipelines[0].task, "text-classification");
  EXPECT_THROW(pool.memory_report(2), InvalidInputError);
}

TEST(WorkerPool, ErrorsComeThroughTheFutureAndThePoolGoesOn) {
  WorkerPool pool(threads(1));
  auto bad = pool.submit(call("text-classification", "no-such-model"));
  EXPECT_THROW(bad.get(), ModelLoadError);
  auto task = pool.submit(call("no-such-task", "tiny-bert-sentiment"));
  EXPECT_THROW(task.get(), InvalidInputError);
  EXPECT_EQ(pool.submit(call("text-classification", "tiny-bert-sentiment")).get().labels().size(), kTexts.size());
  EXPECT_EQ(pool.stats().workers[0].calls_failed, 2u);
  EXPECT_EQ(pool.stats().workers[0].calls_completed, 1u);
  EXPECT_THROW(WorkerPool(threads(0)), InvalidInputError);
}

TEST(WorkerPool, AFullQueueRefusesAtOnceAndFreesAsCallsFinish) {
  auto s = std::make_shared<Script>();
  s->close();
  WorkerPoolOptions o = scripted(s, 2);
  o.max_queue = 3;
  WorkerPool pool(o);
  std::vector<std::future<Output>> held;
  for (int i = 0; i < 3; ++i) held.push_back(pool.submit(call("text-classification", "tiny-bert-sentiment")));
  EXPECT_THROW(pool.submit(call("text-classification", "tiny-bert-sentiment")), QueueFullError);
  EXPECT_THROW(pool.submit(call("feature-extraction", "tiny-bert-embedder")), QueueFullError) << "per pool";
  EXPECT_EQ(pool.stats().queued, 3u);
  EXPECT_EQ(pool.stats().rejected, 2u);
  s->open();
  for (auto& f : held) EXPECT_EQ(served_by(f), "worker-0");
  EXPECT_EQ(pool.stats().queued, 0u);
  auto again = pool.submit(call("text-classification", "tiny-bert-sentiment"));
  EXPECT_EQ(served_by(again), "worker-0");
}

TEST(WorkerPool, RecycleAfterMCallsDrainsFirstAndLosesNoCall) {
  auto s = std::make_shared<Script>();
  s->close();
  WorkerPoolOptions o = scripted(s);
  o.recycle.max_calls = 2;
  WorkerPool pool(o);
  std::vector<std::future<Output>> calls;
  for (int i = 0; i < 5; ++i) calls.push_back(pool.submit(call("text-classification", "tiny-bert-sentiment")));
  EXPECT_EQ(pool.stats().workers[0].in_flight, 5u);  // two at the worker, three waiting for its successor
  s->open();
  const std::vector<std::string> expected = {"worker-0", "worker-0", "worker-1", "worker-1", "worker-2"};
  for (size_t i = 0; i < calls.size(); ++i) EXPECT_EQ(served_by(calls[i]), expected[i]) << "call " << i;
  pool.terminate();
  const WorkerPoolStats stats = pool.stats();  // not under the script's lock: the pool takes it too
  EXPECT_EQ(stats.workers[0].calls_completed, 5u);
  EXPECT_GE(stats.recycled_calls, 2u);
  std::lock_guard l(s->m);
  EXPECT_EQ(s->most_live, 1) << "a worker is retired before its successor starts";
  EXPECT_EQ(s->live, 0);
  for (int n : s->calls_of) EXPECT_LE(n, 2);
}

TEST(WorkerPool, RecycleAfterMCallsWithThreadWorkersKeepsSucceeding) {
  Pipeline p = pipeline("text-classification", fixtures::model("tiny-bert-sentiment"));
  const std::string expected = p(kTexts).to_json();
  WorkerPool pool(threads(1, after_calls(3)));
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(pool.submit(call("text-classification", "tiny-bert-sentiment")).get().to_json(), expected);
  }
  const WorkerPoolStats s = pool.stats();
  EXPECT_EQ(s.workers[0].restarts, 3u);  // after calls 3, 6 and 9: the 10th ran on the fourth worker
  EXPECT_EQ(s.recycled_calls, 3u);
  EXPECT_EQ(s.workers[0].calls_completed, 10u);
}

TEST(WorkerPool, RecycleOnMemoryThresholdWithThreadWorkers) {
  // A threshold of one byte: every call leaves the worker "over", so every call gets a fresh worker.
  RecyclePolicy one_byte;
  one_byte.max_rss_bytes = 1;
  WorkerPool pool(threads(1, one_byte));
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(pool.submit(call("text-classification", "tiny-bert-sentiment")).get().labels().size(), kTexts.size());
  }
  EXPECT_GE(pool.stats().recycled_memory, 2u);
  EXPECT_EQ(pool.stats().recycled_calls, 0u);
}

TEST(WorkerPool, ACrashFailsItsCallsAndTheNextCallGoesToARestartedWorker) {
  auto s = std::make_shared<Script>();
  WorkerPool pool(scripted(s));
  auto first = pool.submit(call("text-classification", "tiny-bert-sentiment"));
  EXPECT_EQ(served_by(first), "worker-0");
  {
    std::lock_guard l(s->m);
    s->crash_next = true;
  }
  auto crashed = pool.submit(call("text-classification", "tiny-bert-sentiment"));
  EXPECT_THROW(crashed.get(), WorkerCrashedError);
  auto next = pool.submit(call("text-classification", "tiny-bert-sentiment"));
  EXPECT_EQ(served_by(next), "worker-1");
  EXPECT_EQ(pool.stats().crash_restarts, 1u);
  EXPECT_EQ(pool.stats().workers[0].restarts, 1u);
  EXPECT_EQ(pool.stats().workers[0].calls_failed, 1u);
}

TEST(WorkerPool, WithoutRestartOnCrashTheSlotStaysDead) {
  auto s = std::make_shared<Script>();
  WorkerPoolOptions o = scripted(s);
  o.restart_on_crash = false;
  WorkerPool pool(o);
  {
    std::lock_guard l(s->m);
    s->crash_next = true;
  }
  auto crashed = pool.submit(call("text-classification", "tiny-bert-sentiment"));
  EXPECT_THROW(crashed.get(), WorkerCrashedError);
  auto after = pool.submit(call("text-classification", "tiny-bert-sentiment"));
  EXPECT_THROW(after.get(), WorkerCrashedError);
  EXPECT_EQ(pool.stats().crash_restarts, 0u);
}

TEST(WorkerPool, TerminateAnswersEverythingSubmittedKillFailsWhatWaits) {
  auto s = std::make_shared<Script>();
  s->close();
  WorkerPoolOptions o = scripted(s);
  o.recycle.max_calls = 1;
  WorkerPool pool(o);
  auto at_worker = pool.submit(call("text-classification", "tiny-bert-sentiment"));
  auto waiting = pool.submit(call("text-classification", "tiny-bert-sentiment"));  // held for the next worker
  pool.kill();  // the gate is still closed: the call at the worker is queued there, not running
  EXPECT_THROW(at_worker.get(), WorkerTerminatedError);
  EXPECT_THROW(waiting.get(), WorkerTerminatedError);
  EXPECT_THROW(pool.submit(call("text-classification", "tiny-bert-sentiment")), WorkerTerminatedError);
  EXPECT_NO_THROW(pool.terminate());
  EXPECT_EQ(pool.stats().queued, 0u);

  auto s2 = std::make_shared<Script>();
  s2->close();
  WorkerPoolOptions o2 = scripted(s2);
  o2.recycle.max_calls = 1;
  WorkerPool drained(o2);
  std::vector<std::future<Output>> calls;
  for (int i = 0; i < 3; ++i) calls.push_back(drained.submit(call("text-classification", "tiny-bert-sentiment")));
  std::thread terminator([&] { drained.terminate(); });
  s2->open();
  terminator.join();
  for (size_t i = 0; i < calls.size(); ++i) EXPECT_EQ(served_by(calls[i]), "worker-" + std::to_string(i));
}

TEST(WorkerPool, SeveralClientThreadsTwoWorkersTwoModels) {
  Pipeline cls = pipeline("text-classification", fixtures::model("tiny-bert-sentiment"));
  Pipeline other = pipeline("text-classification", fixtures::model("tiny-bert-multilabel"));
  const std::string want_cls = cls(kTexts).to_json(), want_other = other(kTexts).to_json();
  WorkerPool pool(threads(2, after_calls(7), 0));
  std::atomic<int> matches{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&, t] {
      for (int i = 0; i < 6; ++i) {
        const bool first = (t + i) % 2 == 0;
        auto f = pool.submit(call("text-classification", first ? "tiny-bert-sentiment" : "tiny-bert-multilabel"));
        if (f.get().to_json() == (first ? want_cls : want_other)) ++matches;
      }
    });
  }
  for (auto& c : clients) c.join();
  EXPECT_EQ(matches.load(), 24);
  const WorkerPoolStats s = pool.stats();
  EXPECT_EQ(s.workers[0].calls_completed + s.workers[1].calls_completed, 24u);
  EXPECT_EQ(s.workers[0].calls_completed, 12u) << "each model kept to its worker";
  EXPECT_GE(s.recycled_calls, 2u);
  EXPECT_EQ(s.queued, 0u);
}

TEST(WorkerPool, ReplicasSpreadOneBusyKeyOverWorkers) {
  for (size_t replicas : {1u, 2u}) {
    auto s = std::make_shared<Script>();
    s->close();
    WorkerPoolOptions o = scripted(s, 2);
    o.replicas = replicas;
    WorkerPool pool(o);
    std::vector<std::future<Output>> calls;
    for (int i = 0; i < 3; ++i) calls.push_back(pool.submit(call("text-classification", "tiny-bert-sentiment")));
    const auto placed = pool.workers_for("text-classification", fixtures::model("tiny-bert-sentiment"));
    s->open();
    std::vector<std::string> served;
    for (auto& f : calls) served.push_back(served_by(f));
    if (replicas == 1) {
      EXPECT_EQ(placed, std::vector<size_t>{0});
      EXPECT_EQ(served, (std::vector<std::string>{"worker-0", "worker-0", "worker-0"}));
    } else {
      EXPECT_EQ(placed, (std::vector<size_t>{0, 1}));  // the second call found the first worker busy
      EXPECT_EQ(served, (std::vector<std::string>{"worker-0", "worker-1", "worker-0"}));
    }
  }
}

// ---- process workers: real children and sockets ----

namespace {
WorkerPoolOptions process_pool(size_t workers) {
  WorkerPoolOptions o;
  o.workers = workers;
  o.worker.kind = WorkerKind::process;
  o.worker.executable = TRANSFORMERS_CLI_PATH;
  return o;
}
}  // namespace

TEST(WorkerPoolProcess, ResultsMatchInProcessAndRecyclingStartsNewChildren) {
  Pipeline p = pipeline("text-classification", fixtures::model("tiny-bert-sentiment"));
  const std::string expected = p(kTexts).to_json();
  WorkerPoolOptions o = process_pool(1);
  o.recycle.max_calls = 2;
  WorkerPool pool(o);
  const int first_pid = pool.stats().workers[0].pid;
  EXPECT_NE(first_pid, 0);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(pool.submit(call("text-classification", "tiny-bert-sentiment")).get().to_json(), expected);
  }
  const WorkerPoolStats s = pool.stats();
  EXPECT_EQ(s.workers[0].restarts, 2u);  // after calls 2 and 4: the 5th ran in the third child
  EXPECT_NE(s.workers[0].pid, first_pid);
  EXPECT_EQ(s.workers[0].calls_completed, 5u);
  EXPECT_EQ(::kill(first_pid, 0), -1) << "the recycled child is gone (exited and reaped)";
}

TEST(WorkerPoolProcess, SigkillFailsTheCallAsCrashedAndTheNextGoesToARestartedChild) {
  WorkerPool pool(process_pool(1));
  pool.load("text-classification", fixtures::model("tiny-bert-sentiment")).get();
  const int pid = pool.stats().workers[0].pid;
  std::string text;
  for (int i = 0; i < 600; ++i) text += " word";
  // Hundreds of milliseconds of work: it is still running (or queued in the child) when the signal lands.
  auto doomed = pool.submit(call("text-classification", "tiny-bert-sentiment", std::vector<std::string>(16, text)));
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  EXPECT_THROW(doomed.get(), WorkerCrashedError);
  const Output next = pool.submit(call("text-classification", "tiny-bert-sentiment")).get();
  EXPECT_EQ(next.labels().size(), kTexts.size());
  const WorkerPoolStats s = pool.stats();
  EXPECT_EQ(s.crash_restarts, 1u);
  EXPECT_NE(s.workers[0].pid, pid);
  EXPECT_EQ(s.workers[0].calls_failed, 1u);
  EXPECT_EQ(s.workers[0].calls_completed, 1u);
}

TEST(WorkerPoolProcess, MemoryThresholdUsesTheChildsRss) {
  WorkerPoolOptions o = process_pool(1);
  o.recycle.max_rss_bytes = 1;  // any child is over: every call gets a fresh one
  WorkerPool pool(o);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(pool.submit(call("text-classification", "tiny-bert-sentiment")).get().labels().size(), kTexts.size());
  }
  EXPECT_GE(pool.stats().recycled_memory, 1u);
  // The last call left its child over the threshold: whether the old child or its successor answers,
  // a recycle in progress never makes the report fail.
  for (int i = 0; i < 3; ++i) EXPECT_NO_THROW(pool.memory_report(0));
}
