// ThreadWorker: the same results as in-process calls (same code path, bit for bit), errors through the
// futures with their own types, terminate/kill semantics, and the memory going back to the OS after
// terminate() (asserted on /proc figures, not our counters).
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <thread>

#include "test_support.hpp"
#include "transformers/memory.hpp"
#include "transformers/memory_report.hpp"
#include "transformers/pipeline.hpp"
#include "transformers/worker.hpp"

using namespace transformers;

namespace {
constexpr double kMiB = 1024.0 * 1024.0;

std::unique_ptr<Worker> thread_worker(std::string name = "", std::optional<ReleasePolicy> policy = std::nullopt) {
  WorkerOptions o;
  o.kind = WorkerKind::thread;
  o.name = std::move(name);
  o.release_policy = policy;
  return make_worker(o);
}

WorkerCall call(const char* task, const char* model, std::vector<std::string> inputs, CallOptions options = {}) {
  WorkerCall c;
  c.task = task;
  c.model = fixtures::model(model);
  c.inputs = std::move(inputs);
  c.call_options = options;
  return c;
}

// 16 x 512 tokens: tens of MiB of working memory (see tests/runtime/dispose_memory_test.cpp).
std::vector<std::string> big_batch() {
  std::string text;
  for (int i = 0; i < 600; ++i) text += i ? " word" : "word";
  return std::vector<std::string>(16, text);
}

const std::vector<std::string> kTexts = {"I love this!", "This is terrible.", "a", "Ünïcödé and émojis 🙂 too"};

void expect_same_tensor(const Tensor& a, const Tensor& b) {
  ASSERT_EQ(a.dims, b.dims);
  ASSERT_EQ(a.data.size(), b.data.size());
  EXPECT_EQ(std::memcmp(a.data.data(), b.data.data(), a.data.size() * sizeof(float)), 0) << "not bit-identical";
}

template <class E, class T>
std::string error_of(std::future<T>& f) {
  try {
    f.get();
  } catch (const E& e) {
    return e.what();
  }
  return "(no exception)";
}
}  // namespace

TEST(ThreadWorker, ClassificationEqualsInProcessBitForBit) {
  const auto model = fixtures::model("tiny-bert-sentiment");
  Pipeline p = pipeline("text-classification", model);
  auto w = thread_worker();
  EXPECT_EQ(w->kind(), WorkerKind::thread);
  for (std::optional<int> top_k : {std::optional<int>(1), std::optional<int>(2), std::optional<int>()}) {
    TextClassificationOptions o;
    o.top_k = top_k;
    const Output expected = p(kTexts, o);
    const Output got = w->submit(call("sentiment-analysis", "tiny-bert-sentiment", kTexts, o)).get();
    EXPECT_EQ(got.to_json(), expected.to_json());
    ASSERT_EQ(got.labels().size(), expected.labels().size());
    for (size_t i = 0; i < got.labels().size(); ++i) {
      ASSERT_EQ(got.labels()[i].size(), expected.labels()[i].size());
      for (size_t j = 0; j < got.labels()[i].size(); ++j) {
        EXPECT_EQ(got.labels()[i][j].label, expected.labels()[i][j].label);
        EXPECT_EQ(std::memcmp(&got.labels()[i][j].score, &expected.labels()[i][j].score, sizeof(float)), 0);
      }
    }
  }
  // A single text (not a list) keeps Transformers.js' unbatched shape.
  WorkerCall single = call("text-classification", "tiny-bert-sentiment", {"just one"});
  single.batched = false;
  const Output one = w->submit(single).get();
  EXPECT_FALSE(one.batched_input());
  EXPECT_EQ(one.to_json(), p("just one").to_json());
  EXPECT_EQ(w->stats().pipelines_loaded, 1u) << "the alias and the canonical name share one pipeline";
}

TEST(ThreadWorker, EmbeddingsEqualInProcessBitForBit) {
  const auto model = fixtures::model("tiny-bert-embedder");
  Pipeline p = pipeline("feature-extraction", model);
  auto w = thread_worker();
  for (Pooling pooling : {Pooling::none, Pooling::mean, Pooling::cls}) {
    FeatureExtractionOptions o;
    o.pooling = pooling;
    o.normalize = pooling != Pooling::none;
    const Output got = w->submit(call("feature-extraction", "tiny-bert-embedder", kTexts, o)).get();
    expect_same_tensor(got.tensor(), p(kTexts, o).tensor());
  }
}

TEST(ThreadWorker, ErrorsArriveThroughTheFutureWithTheirTypeAndTheWorkerGoesOn) {
  auto w = thread_worker();
  auto missing = w->submit(call("text-classification", "no-such-model", {"x"}));
  EXPECT_NE(error_of<ModelLoadError>(missing).find("no-such-model"), std::string::npos);
  auto task = w->submit(call("image-classification", "tiny-bert-sentiment", {"x"}));
  EXPECT_NE(error_of<InvalidInputError>(task).find("unknown task 'image-classification'"), std::string::npos);
  auto utf8 = w->submit(call("text-classification", "tiny-bert-sentiment", {std::string("bad \xff byte")}));
  EXPECT_NE(error_of<InvalidInputError>(utf8), "(no exception)");
  auto empty = w->submit(call("text-classification", "tiny-bert-sentiment", {}));
  EXPECT_NE(error_of<InvalidInputError>(empty), "(no exception)");
  WorkerCall two_unbatched = call("text-classification", "tiny-bert-sentiment", {"a", "b"});
  two_unbatched.batched = false;
  auto shape = w->submit(two_unbatched);
  EXPECT_NE(error_of<InvalidInputError>(shape).find("exactly one input"), std::string::npos);
  auto load = w->load("text-classification", fixtures::model("no-such-model"));
  EXPECT_NE(error_of<ModelLoadError>(load), "(no exception)");

  // Working memory over the allocator's limit: BudgetExceededError, then the same pipeline works.
  w->load("text-classification", fixtures::model("tiny-bert-sentiment")).get();
  AllocatorOptions capped = allocator_options();
  const AllocatorOptions original = capped;
  capped.limit_bytes = allocator_stats().in_use + (200u << 10);
  configure_allocator(capped);
  auto over = w->submit(call("text-classification", "tiny-bert-sentiment", big_batch()));
  const std::string budget = error_of<BudgetExceededError>(over);
  configure_allocator(original);
  EXPECT_NE(budget, "(no exception)");

  const Output fine = w->submit(call("text-classification", "tiny-bert-sentiment", kTexts)).get();
  EXPECT_EQ(fine.labels().size(), kTexts.size());
  const WorkerStats s = w->stats();
  EXPECT_TRUE(s.alive);
  EXPECT_EQ(s.calls_failed, 6u);
  EXPECT_EQ(s.calls_completed, 1u);
  EXPECT_EQ(s.in_flight, 0u);
}

TEST(ThreadWorker, TerminateIsIdempotentAndLaterCallsAreRefused) {
  auto w = thread_worker("t1");
  EXPECT_EQ(w->stats().name, "t1");
  // Queued calls are answered before terminate() returns: none is left with a broken promise.
  std::vector<std::future<Output>> queued;
  for (int i = 0; i < 4; ++i) queued.push_back(w->submit(call("text-classification", "tiny-bert-sentiment", kTexts)));
  w->terminate();
  for (auto& f : queued) EXPECT_EQ(f.get().labels().size(), kTexts.size());
  EXPECT_FALSE(w->alive());
  EXPECT_EQ(w->stats().pipelines_loaded, 0u);
  EXPECT_NO_THROW(w->terminate());
  EXPECT_NO_THROW(w->kill());
  EXPECT_THROW(w->submit(call("text-classification", "tiny-bert-sentiment", kTexts)), WorkerTerminatedError);
  EXPECT_THROW(w->load("text-classification", fixtures::model("tiny-bert-sentiment")), WorkerTerminatedError);
  EXPECT_THROW(w->unload("text-classification", fixtures::model("tiny-bert-sentiment")), WorkerTerminatedError);
  EXPECT_TRUE(w->memory_report().pipelines.empty());
  EXPECT_EQ(w->stats().calls_completed, 4u);
}

TEST(ThreadWorker, KillFailsQueuedCallsAndFinishesTheRunningOne) {
  auto w = thread_worker();
  w->load("text-classification", fixtures::model("tiny-bert-sentiment")).get();
  // The first call takes hundreds of milliseconds; the others are queued behind it when kill() comes.
  auto running = w->submit(call("text-classification", "tiny-bert-sentiment", big_batch()));
  std::vector<std::future<Output>> queued;
  for (int i = 0; i < 5; ++i) queued.push_back(w->submit(call("text-classification", "tiny-bert-sentiment", kTexts)));
  w->kill();
  EXPECT_FALSE(w->alive());
  std::vector<bool> killed;
  for (auto& f : queued) {
    try {
      f.get();
      killed.push_back(false);
    } catch (const WorkerTerminatedError&) {
      killed.push_back(true);
    }
  }
  EXPECT_TRUE(killed.back()) << "the last call was still queued behind the big one";
  // The running call (if it had started) completed; if kill() came first it failed the same way.
  try {
    EXPECT_EQ(running.get().labels().size(), 16u);
  } catch (const WorkerTerminatedError&) {
  }
  EXPECT_EQ(w->stats().in_flight, 0u);
  EXPECT_EQ(w->stats().pipelines_loaded, 0u) << "a killed worker disposes its pipelines too";
  EXPECT_THROW(w->submit(call("text-classification", "tiny-bert-sentiment", kTexts)), WorkerTerminatedError);
}

TEST(ThreadWorker, DestructorAnswersQueuedCalls) {
  std::vector<std::future<Output>> queued;
  {
    auto w = thread_worker();
    for (int i = 0; i < 3; ++i) queued.push_back(w->submit(call("text-classification", "tiny-bert-sentiment", kTexts)));
  }
  for (auto& f : queued) EXPECT_EQ(f.get().labels().size(), kTexts.size());
}

TEST(ThreadWorker, MemoryReportListsOnlyTheWorkersPipelinesAndUnloadDisposes) {
  Pipeline host = pipeline("feature-extraction", fixtures::model("tiny-bert-embedder"));
  auto w = thread_worker();
  w->load("text-classification", fixtures::model("tiny-bert-sentiment")).get();
  PipelineOptions fp32;
  fp32.dtype = "fp32";  // what "auto" resolves to: the same pipeline (pipelines/pipeline_key.hpp)
  w->load("text-classification", fixtures::model("tiny-bert-sentiment"), fp32).get();
  ASSERT_EQ(w->memory_report().pipelines.size(), 1u);
  PipelineOptions q8;
  q8.dtype = "q8";  // another file: a second pipeline
  w->load("text-classification", fixtures::model("tiny-bert-sentiment"), q8).get();
  w->submit(call("text-classification", "tiny-bert-sentiment", kTexts)).get();
  const MemoryReport mine = w->memory_report();
  ASSERT_EQ(mine.pipelines.size(), 2u);
  for (const auto& row : mine.pipelines) {
    EXPECT_EQ(row.task, "text-classification");
    EXPECT_NE(row.owner, host.memory_owner());
  }
  EXPECT_GT(mine.pipelines[0].peak_in_use + mine.pipelines[1].peak_in_use, 0u);
  EXPECT_GE(memory_report().pipelines.size(), 3u);  // the host's own pipeline is in the process report
  EXPECT_TRUE(w->unload("sentiment-analysis", fixtures::model("tiny-bert-sentiment")).get());
  EXPECT_FALSE(w->unload("text-classification", fixtures::model("tiny-bert-sentiment")).get());
  EXPECT_EQ(w->memory_report().pipelines.size(), 1u);
  EXPECT_EQ(w->stats().pipelines_loaded, 1u);
  w->terminate();
  EXPECT_FALSE(host.disposed()) << "terminating a worker leaves the host's pipelines alone";
  EXPECT_EQ(host({"still works"}).tensor().dims[0], 1);
}

TEST(ThreadWorker, WorkerReleasePolicyIsTheDefaultOfItsPipelines) {
  auto w = thread_worker("", ReleasePolicy::retain());
  w->submit(call("text-classification", "tiny-bert-sentiment", kTexts)).get();
  const MemoryReport r = w->memory_report();
  ASSERT_EQ(r.pipelines.size(), 1u);
  EXPECT_EQ(owner_memory(r.pipelines[0].owner).policy, ReleasePolicy::retain());
}

TEST(ThreadWorker, CallsFromSeveralThreadsAndTwoWorkersMatchInProcess) {
  Pipeline p = pipeline("text-classification", fixtures::model("tiny-bert-sentiment"));
  const std::string expected = p(kTexts).to_json();
  auto a = thread_worker(), b = thread_worker();
  std::vector<std::thread> clients;
  std::atomic<int> matches{0};
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&, t] {
      Worker& w = t % 2 ? *a : *b;
      for (int i = 0; i < 5; ++i) {
        if (w.submit(call("text-classification", "tiny-bert-sentiment", kTexts)).get().to_json() == expected) ++matches;
      }
    });
  }
  for (auto& c : clients) c.join();
  EXPECT_EQ(matches.load(), 20);
  EXPECT_EQ(a->stats().calls_completed + b->stats().calls_completed, 20u);
}

TEST(ThreadWorker, TerminateReturnsTheHostRssToItsValueBeforeTheWorker) {
  SKIP_RSS_UNDER_ASAN();
  const auto model = fixtures::model("tiny-bert-sentiment");
  {
    // Once in this process: ONNX Runtime's one-time global state appears here, not in the measurement.
    Pipeline warm = pipeline("text-classification", model);
    warm(big_batch());
  }
  trim();
  const ProcessMemory before = process_memory();
  std::ofstream("/proc/self/clear_refs") << "5";  // resets VmHWM: it shows the worker's peak
  auto w = thread_worker();
  const Output out = w->submit(call("text-classification", "tiny-bert-sentiment", big_batch())).get();
  EXPECT_EQ(out.labels().size(), 16u);
  const ProcessMemory during = process_memory();
  w->terminate();
  const ProcessMemory after = process_memory();
  std::cout << "[ rss MiB  ] before the worker " << before.rss / kMiB << ", peak " << during.vm_hwm / kMiB
            << ", after the run " << during.rss / kMiB << ", after terminate " << after.rss / kMiB << "\n";
  EXPECT_GT(static_cast<double>(during.vm_hwm), static_cast<double>(before.rss) + 32 * kMiB)
      << "the run must have used real working memory for this test to mean anything";
  EXPECT_LT(static_cast<double>(after.rss), static_cast<double>(before.rss) + 8 * kMiB);
}

TEST(ThreadWorker, AThreadCountBeyondTheLimitIsRefusedAtOnce) {
  for (const auto kind : {WorkerKind::thread, WorkerKind::process}) {
    WorkerOptions o;
    o.kind = kind;
    o.intra_op_threads = 100000;  // a hello with this never answered (issue 11)
    const std::string msg = fixtures::message_of<InvalidInputError>([&] { make_worker(o); });
    EXPECT_NE(msg.find("WorkerOptions.intra_op_threads must be 0"), std::string::npos) << msg;
  }
}
