// DynamicBatcher: merged calls answer exactly what separate pipeline calls answer; options, errors, stop.
//
// References are separate single-string calls on the same pipeline. Scores and embeddings are compared
// within 1e-5, not bit for bit: in a batch, an input's attention runs over a padded row (masked keys
// still take part in the softmax and matmul sums with ~0 weight, and ONNX Runtime's kernels block the
// longer rows differently), so float summation order changes in the last bits. Labels must be exact.
// No test depends on timing: max_wait is an hour wherever batch composition is asserted, so batches
// run only when full, at flush() or at stop().
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include <unistd.h>

#include "split_search.hpp"
#include "test_support.hpp"
#include "transformers/dynamic_batcher.hpp"
#include "transformers/pipeline.hpp"

namespace tf = transformers;
namespace fx = transformers::fixtures;

namespace {

constexpr float kTolerance = 1e-5f;
constexpr std::chrono::hours kForever{1};

tf::CallOptions top_k(std::optional<int> k, std::optional<tf::FunctionToApply> fn = std::nullopt) {
  tf::TextClassificationOptions o;
  o.top_k = k;
  o.function_to_apply = fn;
  return o;
}
tf::CallOptions pooled(tf::Pooling pooling, bool normalize = false) {
  tf::FeatureExtractionOptions o;
  o.pooling = pooling;
  o.normalize = normalize;
  return o;
}
// Batches that run only when full (size or tokens), at flush() or at stop(): never on a timer. The greedy
// cut, whose caps these tests check; the cheapest split has its own tests (CheapestSplit*).
tf::DynamicBatcherOptions untimed(size_t max_batch, size_t max_tokens = 0, bool sorted = true, bool isolate = true) {
  tf::DynamicBatcherOptions o;
  o.split = tf::DynamicBatcherOptions::Split::greedy;
  o.max_batch_size = max_batch;
  o.max_batch_tokens = max_tokens;
  o.max_wait = kForever;
  o.sort_by_length = sorted;
  o.isolate_failures = isolate;
  return o;
}

// 16 texts of mixed lengths (4 to ~140 tokens; the longest is truncated to model_max_length 128).
std::vector<std::string> mixed_texts() {
  std::vector<std::string> texts = {
      "good",
      "I love this movie",
      "terrible, would not recommend to anyone at all",
      "ok",
      "The plot was thin but the acting carried it through to a satisfying end.",
      "meh",
      "What a wonderful day to be alive and writing unit tests for a batcher",
      "no",
  };
  std::string longer;
  for (int i = 0; i < 6; ++i) longer += "the quick brown fox jumps over the lazy dog ";
  texts.push_back(longer);
  std::string longest;
  for (int i = 0; i < 20; ++i) longest += "a sentence that goes on and on ";
  texts.push_back(longest);
  texts.push_back("Short again.");
  texts.push_back("Medium length text with a few more words in it than the short ones.");
  texts.push_back("x");
  texts.push_back("Numbers 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16");
  texts.push_back("Emoji-free punctuation!!! ??? ... ;;;");
  texts.push_back("last one");
  return texts;
}

// Submits every text from its own thread at once; returns the futures in text order.
std::vector<std::future<tf::Output>> submit_concurrently(tf::DynamicBatcher& batcher, const std::vector<std::string>& texts,
                                                         const std::vector<tf::CallOptions>& options) {
  std::vector<std::future<tf::Output>> futures(texts.size());
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (size_t i = 0; i < texts.size(); ++i) {
    threads.emplace_back([&, i] {
      while (!go.load()) std::this_thread::yield();
      futures[i] = batcher.submit(texts[i], options[i % options.size()]);
    });
  }
  go = true;
  for (auto& t : threads) t.join();
  return futures;
}

void expect_same(const tf::Output& got, const tf::Output& want, const std::string& what) {
  SCOPED_TRACE(what);
  ASSERT_EQ(got.is_labels(), want.is_labels());
  if (want.is_labels()) {
    EXPECT_EQ(got.batched_input(), want.batched_input());
    EXPECT_EQ(got.get<tf::TextClassificationResult>().top_k, want.get<tf::TextClassificationResult>().top_k);
    ASSERT_EQ(got.labels().size(), want.labels().size());
    for (size_t i = 0; i < want.labels().size(); ++i) {
      ASSERT_EQ(got.labels()[i].size(), want.labels()[i].size());
      for (size_t k = 0; k < want.labels()[i].size(); ++k) {
        EXPECT_EQ(got.labels()[i][k].label, want.labels()[i][k].label);
        EXPECT_NEAR(got.labels()[i][k].score, want.labels()[i][k].score, kTolerance);
      }
    }
    return;
  }
  const tf::Tensor& g = got.tensor();
  const tf::Tensor& w = want.tensor();
  ASSERT_EQ(g.dims, w.dims);
  ASSERT_EQ(g.data.size(), w.data.size());
  float worst = 0;
  for (size_t i = 0; i < w.data.size(); ++i) worst = std::max(worst, std::abs(g.data[i] - w.data[i]));
  EXPECT_LE(worst, kTolerance);
}

// One call, run now (the batchers here wait an hour for company).
tf::Output call_now(tf::DynamicBatcher& batcher, const std::string& text, const tf::CallOptions& options = {}) {
  auto f = batcher.submit(text, options);
  batcher.flush();
  return f.get();
}

std::shared_ptr<tf::Pipeline> load(const char* task, const char* model) {
  return std::make_shared<tf::Pipeline>(tf::pipeline(task, fx::model(model)));
}

// A backend over a real pipeline that records every inference (texts and options) it is asked to run.
struct Recording {
  struct Run {
    std::vector<std::string> texts;
    tf::CallOptions options;
    bool operator==(const Run&) const = default;
  };
  explicit Recording(std::shared_ptr<tf::Pipeline> p) : pipeline(std::move(p)) {}
  std::shared_ptr<tf::Pipeline> pipeline;
  std::mutex mu;
  std::vector<Run> runs;

  tf::DynamicBatcher::Backend backend() {
    tf::DynamicBatcher::Backend b;
    b.token_counts = [this](const tf::PipelineInputs& in) { return pipeline->token_counts(in); };
    b.run = [this](const tf::PipelineInputs& in, const tf::CallOptions& o) {
      {
        std::lock_guard lock(mu);
        runs.push_back({in.texts, o});
      }
      return pipeline->call(in, true, o);
    };
    return b;
  }
};

void check_against_separate_calls(const char* task, const char* model, const std::vector<tf::CallOptions>& options) {
  auto p = load(task, model);
  const auto texts = mixed_texts();
  for (const auto& opts : options) {
    SCOPED_TRACE(std::string(model) + " " + tf::call_options_to_json(opts));
    // One batch of all 16 (max_wait an hour, so it runs exactly when the 16th arrives).
    tf::DynamicBatcher batcher(p, untimed(16));
    auto futures = submit_concurrently(batcher, texts, {opts});
    for (size_t i = 0; i < texts.size(); ++i) expect_same(futures[i].get(), (*p)(texts[i], opts), texts[i]);
    const tf::DynamicBatcherStats s = batcher.stats();
    EXPECT_EQ(s.batches, 1u);
    EXPECT_EQ(s.max_batch_size, 16u);
    EXPECT_EQ(s.calls, 16u);
    EXPECT_GT(s.padding_waste(), 0.0);  // mixed lengths: some padding, reported
    EXPECT_LT(s.padding_waste(), 1.0);
  }
}

}  // namespace

TEST(DynamicBatcher, TextClassificationEqualsSeparateCalls) {
  check_against_separate_calls("text-classification", "tiny-bert-sentiment",
                               {{}, top_k(std::nullopt), top_k(2, tf::FunctionToApply::sigmoid)});
  check_against_separate_calls("text-classification", "tiny-bert-3class-noproblem", {top_k(std::nullopt)});
}

TEST(DynamicBatcher, FeatureExtractionEqualsSeparateCalls) {
  check_against_separate_calls("feature-extraction", "tiny-bert-embedder",
                               {pooled(tf::Pooling::none), pooled(tf::Pooling::none, true), pooled(tf::Pooling::mean),
                                pooled(tf::Pooling::mean, true), pooled(tf::Pooling::cls),
                                pooled(tf::Pooling::last_token), pooled(tf::Pooling::last_token, true)});
  check_against_separate_calls("feature-extraction", "tiny-distilbert-embedder", {pooled(tf::Pooling::mean)});
  // An already pooled graph output (sentence_embedding).
  check_against_separate_calls("feature-extraction", "tiny-sentence-embedder", {pooled(tf::Pooling::none, true)});
}

TEST(DynamicBatcher, UnpooledOutputKeepsOnlyTheCallersOwnTokens) {
  auto p = load("feature-extraction", "tiny-bert-embedder");
  tf::DynamicBatcher batcher(p, untimed(2));
  auto a = batcher.submit("a");
  auto b = batcher.submit("a much longer input with many more tokens than the first");
  const tf::Tensor ta = a.get().tensor(), tb = b.get().tensor();
  EXPECT_EQ(ta.dims[1], static_cast<int64_t>(p->token_counts({"a"}).front()));
  EXPECT_EQ(tb.dims[1], static_cast<int64_t>(p->token_counts({"a much longer input with many more tokens than the first"}).front()));
  EXPECT_EQ(ta.dims[0], 1);
  EXPECT_EQ(batcher.stats().batches, 1u);
}

TEST(DynamicBatcher, MaxBatchSizeCaps) {
  auto p = load("text-classification", "tiny-bert-sentiment");
  // Batches run only when 4 are queued: 16 calls make exactly 4 batches of 4.
  tf::DynamicBatcher batcher(p, untimed(4));
  const auto texts = mixed_texts();
  auto futures = submit_concurrently(batcher, texts, {{}});
  for (size_t i = 0; i < texts.size(); ++i) expect_same(futures[i].get(), (*p)(texts[i]), texts[i]);
  const auto s = batcher.stats();
  EXPECT_EQ(s.batches, 4u);
  EXPECT_EQ(s.max_batch_size, 4u);
  EXPECT_DOUBLE_EQ(s.mean_batch_size(), 4.0);
}

TEST(DynamicBatcher, ConcurrentBatchesAnswerTheSame) {
  auto p = load("feature-extraction", "tiny-bert-embedder");
  tf::DynamicBatcherOptions o = untimed(4);
  o.max_concurrent_batches = 3;
  tf::DynamicBatcher batcher(p, o);
  const auto texts = mixed_texts();
  auto futures = submit_concurrently(batcher, texts, {pooled(tf::Pooling::mean, true)});
  for (size_t i = 0; i < texts.size(); ++i) expect_same(futures[i].get(), (*p)(texts[i], pooled(tf::Pooling::mean, true)), texts[i]);
  EXPECT_EQ(batcher.stats().batches, 4u);
  EXPECT_EQ(batcher.stats().max_batch_size, 4u);
}

TEST(DynamicBatcher, MaxBatchTokensCaps) {
  Recording rec(load("text-classification", "tiny-bert-sentiment"));
  const size_t cap = 96;
  for (bool sorted : {true, false}) {
    SCOPED_TRACE(sorted ? "sorted" : "arrival order");
    rec.runs.clear();
    tf::DynamicBatcher batcher(rec.backend(),
                               untimed(16, cap, sorted));
    const auto texts = mixed_texts();
    auto futures = submit_concurrently(batcher, texts, {{}});
    batcher.flush();  // the last, partial batch
    for (size_t i = 0; i < texts.size(); ++i) expect_same(futures[i].get(), (*rec.pipeline)(texts[i]), texts[i]);
    std::lock_guard lock(rec.mu);
    size_t calls = 0;
    for (const auto& run : rec.runs) {
      const auto counts = rec.pipeline->token_counts(run.texts);
      const size_t padded = run.texts.size() * *std::max_element(counts.begin(), counts.end());
      // A single call longer than the cap runs alone; every merged batch stays within it.
      if (run.texts.size() > 1) {
        EXPECT_LE(padded, cap);
      }
      calls += run.texts.size();
    }
    EXPECT_EQ(calls, texts.size());
    EXPECT_GT(rec.runs.size(), 1u);
  }
}

TEST(DynamicBatcher, CheapestSplitRunsTheCheapestBatchesAndAnswersAsAlone) {
  // 16 mixed calls, a batch could hold them all: the cheapest split (overhead 24 tokens) runs at once,
  // with no flush and no timer (the group could fill a batch), its batches cost no more than any other
  // contiguous split of the sorted calls (exhaustive), and every caller gets its separate-call answer.
  Recording rec(load("text-classification", "tiny-bert-sentiment"));
  tf::DynamicBatcherOptions o;
  o.max_batch_size = 16;
  o.max_batch_tokens = 0;
  o.max_wait = kForever;
  o.inference_overhead_tokens = 24;
  const auto texts = mixed_texts();
  {
    tf::DynamicBatcher batcher(rec.backend(), o);
    auto futures = submit_concurrently(batcher, texts, {{}});
    for (size_t i = 0; i < texts.size(); ++i) expect_same(futures[i].get(), (*rec.pipeline)(texts[i]), texts[i]);
    EXPECT_DOUBLE_EQ(batcher.stats().overhead_tokens, 24);
  }
  auto counts = rec.pipeline->token_counts(texts);
  std::sort(counts.begin(), counts.end());
  double ran = 0;
  size_t calls = 0;
  for (const auto& run : rec.runs) {
    const auto c = rec.pipeline->token_counts(run.texts);
    ran += 24.0 + double(c.size() * *std::max_element(c.begin(), c.end()));
    calls += c.size();
  }
  EXPECT_EQ(calls, texts.size());
  EXPECT_GT(rec.runs.size(), 1u);  // lengths 3..128 apart: one batch of all would pad most of it
  // The rest is split again after each batch is taken; that costs nothing: dropping a batch of an optimal
  // split of sorted lengths leaves an optimal split of the others (no waste cap here).
  const double best = split_search::cheapest_cost(counts, 24.0, [](size_t, size_t, size_t, bool) { return true; });
  EXPECT_DOUBLE_EQ(ran, best);
}

TEST(DynamicBatcher, CheapestSplitRemainderWaitsForCompanyThenRuns) {
  // Fewer calls than a batch holds: they wait for company (max_wait), then run; a learned overhead
  // reports its prior before any run, and keeps it after two batches (too few to fit a line).
  auto p = load("text-classification", "tiny-bert-sentiment");
  tf::DynamicBatcherOptions o;
  o.max_wait = std::chrono::milliseconds(20);
  tf::DynamicBatcher batcher(p, o);
  EXPECT_DOUBLE_EQ(batcher.stats().overhead_tokens, 16);
  auto a = batcher.submit("good"), b = batcher.submit("the quick brown fox jumps over the lazy dog");
  expect_same(a.get(), (*p)("good"), "good");
  expect_same(b.get(), (*p)("the quick brown fox jumps over the lazy dog"), "fox");
  EXPECT_DOUBLE_EQ(batcher.stats().overhead_tokens, 16);
}

TEST(DynamicBatcher, PaddingWasteCapHolds) {
  Recording rec(load("text-classification", "tiny-bert-sentiment"));
  tf::DynamicBatcherOptions o = untimed(16, 0, true);
  o.max_padding_waste = 0.2;
  tf::DynamicBatcher batcher(rec.backend(), o);
  const auto texts = mixed_texts();
  auto futures = submit_concurrently(batcher, texts, {{}});
  batcher.flush();
  for (size_t i = 0; i < texts.size(); ++i) expect_same(futures[i].get(), (*rec.pipeline)(texts[i]), texts[i]);
  std::lock_guard lock(rec.mu);
  for (const auto& run : rec.runs) {
    const auto counts = rec.pipeline->token_counts(run.texts);
    size_t own = 0;
    for (size_t c : counts) own += c;
    const double padded = double(run.texts.size() * *std::max_element(counts.begin(), counts.end()));
    EXPECT_LE(1.0 - double(own) / padded, 0.2 + 1e-9) << run.texts.size() << " calls";
  }
  tf::DynamicBatcherOptions bad = untimed(16);
  bad.max_padding_waste = 1.5;
  EXPECT_THROW(tf::DynamicBatcher(rec.backend(), bad), tf::InvalidInputError);
}

TEST(DynamicBatcher, SortingCutsPadding) {
  // Same 16 calls queued, same caps: batches cut from the sorted queue pad less than in arrival order.
  // To see all 16 queued at once, the dispatcher is first held inside a gated call (other options).
  auto p = load("text-classification", "tiny-bert-sentiment");
  double waste[2];
  for (bool sorted : {false, true}) {
    std::promise<void> open;
    std::shared_future<void> gate = open.get_future().share();
    tf::DynamicBatcher::Backend b;
    b.token_counts = [p](const tf::PipelineInputs& in) { return p->token_counts(in); };
    b.run = [p, gate](const tf::PipelineInputs& in, const tf::CallOptions& o) {
      if (o == top_k(2)) gate.wait();
      return p->call(in, true, o);
    };
    tf::DynamicBatcher batcher(b, untimed(4, 0, sorted));
    auto held = batcher.submit("hold", top_k(2));
    batcher.flush();  // the oldest group runs first: the dispatcher is in the gated call or about to be
    std::vector<std::future<tf::Output>> futures;
    for (const auto& t : mixed_texts()) futures.push_back(batcher.submit(t));
    open.set_value();
    held.get();
    for (auto& f : futures) f.get();
    const auto s = batcher.stats();
    EXPECT_EQ(s.batches, 5u);  // the held call, then 4 x 4
    // Without the held call's own (zero) padding.
    const double held_tokens = static_cast<double>(p->token_counts({"hold"}).front());
    waste[sorted] = double(s.padded_tokens - s.tokens) / (double(s.padded_tokens) - held_tokens);
  }
  EXPECT_LT(waste[1], waste[0]);
}

TEST(DynamicBatcher, DifferentOptionsAreNeverMerged) {
  Recording rec(load("text-classification", "tiny-bert-sentiment"));
  const std::vector<tf::CallOptions> options = {{}, top_k(std::nullopt), top_k(1, tf::FunctionToApply::sigmoid)};
  tf::DynamicBatcher batcher(rec.backend(), untimed(16));
  const auto texts = mixed_texts();
  auto futures = submit_concurrently(batcher, texts, options);
  batcher.flush();
  for (size_t i = 0; i < texts.size(); ++i) {
    expect_same(futures[i].get(), (*rec.pipeline)(texts[i], options[i % options.size()]), texts[i]);
  }
  std::lock_guard lock(rec.mu);
  EXPECT_EQ(rec.runs.size(), options.size());
  for (const auto& run : rec.runs) {
    for (const auto& t : run.texts) {
      const size_t i = std::find(texts.begin(), texts.end(), t) - texts.begin();
      const tf::CallOptions& want = options[i % options.size()];
      EXPECT_TRUE(run.options == want) << t << ": " << tf::call_options_to_json(run.options);
    }
  }
}

TEST(DynamicBatcher, InvalidTextFailsOnlyItsCaller) {
  auto p = load("text-classification", "tiny-bert-sentiment");
  tf::DynamicBatcher batcher(p, untimed(3));
  auto good1 = batcher.submit("fine");
  auto bad = batcher.submit("broken \xff utf-8");
  auto good2 = batcher.submit("also fine");
  EXPECT_THROW(bad.get(), tf::InvalidInputError);
  batcher.flush();  // the bad call never joined: the two good ones wait for a third
  expect_same(good1.get(), (*p)("fine"), "good1");
  expect_same(good2.get(), (*p)("also fine"), "good2");
  expect_same(call_now(batcher, "still working"), (*p)("still working"), "after");
}

TEST(DynamicBatcher, FailedBatchIsRetriedOneByOne) {
  // A backend whose inference fails for any batch holding "poison" (a stand-in for an input only the
  // model rejects): the poisoned caller gets the error, its neighbours their results.
  auto p = load("text-classification", "tiny-bert-sentiment");
  auto poisoned = [&] {
    tf::DynamicBatcher::Backend b;
    b.token_counts = [p](const tf::PipelineInputs& in) { return p->token_counts(in); };
    b.run = [p](const tf::PipelineInputs& in, const tf::CallOptions& o) {
      if (std::find(in.texts.begin(), in.texts.end(), "poison") != in.texts.end()) throw tf::InvalidInputError("poisoned input");
      return p->call(in, true, o);
    };
    return b;
  };
  const std::vector<std::string> texts = {"one", "poison", "three", "four"};
  {
    tf::DynamicBatcher batcher(poisoned(), untimed(4));
    auto futures = submit_concurrently(batcher, texts, {{}});
    for (size_t i = 0; i < texts.size(); ++i) {
      if (texts[i] == "poison") {
        EXPECT_EQ(fx::message_of<tf::InvalidInputError>([&] { futures[i].get(); }), "poisoned input");
      } else {
        expect_same(futures[i].get(), (*p)(texts[i]), texts[i]);
      }
    }
    const auto s = batcher.stats();
    EXPECT_EQ(s.failed_batches, 1u);
    EXPECT_EQ(s.isolated_retries, 4u);
    expect_same(call_now(batcher, "after"), (*p)("after"), "after");  // still working
  }
  {
    tf::DynamicBatcher batcher(poisoned(), untimed(4, 0, true, false));
    auto futures = submit_concurrently(batcher, texts, {{}});
    for (auto& f : futures) EXPECT_THROW(f.get(), tf::InvalidInputError);
  }
}

TEST(DynamicBatcher, BadOptionsFailEveryCallerWithThem) {
  auto p = load("text-classification", "tiny-bert-sentiment");
  tf::DynamicBatcher batcher(p, untimed(3));
  auto futures = submit_concurrently(batcher, {"a", "b", "c"}, {top_k(-1)});
  for (auto& f : futures) EXPECT_THROW(f.get(), tf::InvalidInputError);
  expect_same(call_now(batcher, "ok"), (*p)("ok"), "after");
}

TEST(DynamicBatcher, DisposedPipelineErrorsReachTheCaller) {
  auto p = load("text-classification", "tiny-bert-sentiment");
  tf::DynamicBatcher batcher(p, untimed(2));
  auto queued = batcher.submit("queued before dispose");
  p->dispose();
  EXPECT_THROW(batcher.submit("after dispose").get(), tf::DisposedError);
  batcher.flush();
  EXPECT_THROW(queued.get(), tf::DisposedError);
}

TEST(DynamicBatcher, StopDrainsQueuedCalls) {
  auto p = load("feature-extraction", "tiny-bert-embedder");
  const auto texts = mixed_texts();
  std::vector<std::future<tf::Output>> futures;
  {
    // Nothing would run for an hour: stop() (here the destructor) must run them all.
    tf::DynamicBatcher batcher(p, untimed(64));
    for (const auto& t : texts) futures.push_back(batcher.submit(t, pooled(tf::Pooling::mean)));
    tf::DynamicBatcherOptions never = untimed(64);
    never.max_wait = std::chrono::microseconds::max();  // saturates instead of overflowing
    tf::DynamicBatcher second(p, never);
    auto f = second.submit("x");
    second.stop();
    expect_same(f.get(), (*p)("x"), "explicit stop");
    second.stop();  // idempotent
    EXPECT_THROW(second.submit("late").get(), tf::BatcherStoppedError);
  }
  for (size_t i = 0; i < texts.size(); ++i) expect_same(futures[i].get(), (*p)(texts[i], pooled(tf::Pooling::mean)), texts[i]);
}

TEST(DynamicBatcher, LeftPaddingMergesOnlyEqualLengths) {
  // A copy of the embedder whose tokenizer pads on the left: positions would shift, so only calls of
  // equal token count share a batch, and the results stay those of separate calls.
  const auto dir = std::filesystem::temp_directory_path() / ("batcher-left-pad-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::copy(fx::model("tiny-bert-embedder"), dir, std::filesystem::copy_options::recursive);
  {
    auto json = nlohmann::json::parse(std::ifstream(dir / "tokenizer_config.json"));
    json["padding_side"] = "left";
    std::ofstream(dir / "tokenizer_config.json") << json.dump();
  }
  {
    auto p = std::make_shared<tf::Pipeline>(tf::pipeline("feature-extraction", dir));
    tf::DynamicBatcher batcher(p, untimed(16));
    const std::vector<std::string> texts = {"a b", "c d", "a longer one here", "other longer one", "x"};
    std::vector<std::future<tf::Output>> futures;
    for (const auto& t : texts) futures.push_back(batcher.submit(t, pooled(tf::Pooling::cls)));
    batcher.flush();
    for (size_t i = 0; i < texts.size(); ++i) {
      expect_same(futures[i].get(), (*p)(texts[i], pooled(tf::Pooling::cls)), texts[i]);
    }
    EXPECT_EQ(batcher.stats().padded_tokens, batcher.stats().tokens);  // no padding at all
  }
  std::filesystem::remove_all(dir);
}

TEST(DynamicBatcher, RejectsBadConstruction) {
  auto p = load("text-classification", "tiny-bert-sentiment");
  EXPECT_THROW(tf::DynamicBatcher(p, untimed(0)), tf::InvalidInputError);
  tf::DynamicBatcherOptions no_dispatcher;
  no_dispatcher.max_concurrent_batches = 0;
  EXPECT_THROW(tf::DynamicBatcher(p, no_dispatcher), tf::InvalidInputError);
  EXPECT_THROW(tf::DynamicBatcher(std::shared_ptr<tf::Pipeline>{}), tf::InvalidInputError);
  EXPECT_THROW(tf::DynamicBatcher(tf::DynamicBatcher::Backend{}), tf::InvalidInputError);
}

TEST(DynamicBatcher, ManyThreadsManyCalls) {
  // Stress for races (run under TSan/ASan in the sanitizer builds): 4 threads x 25 calls, short wait.
  auto p = load("text-classification", "tiny-bert-sentiment");
  tf::DynamicBatcherOptions short_wait;
  short_wait.max_batch_size = 8;
  short_wait.max_wait = std::chrono::microseconds(200);
  tf::DynamicBatcher batcher(p, short_wait);
  const auto texts = mixed_texts();
  std::vector<tf::Output> refs;
  for (const auto& t : texts) refs.push_back((*p)(t));
  std::vector<std::thread> threads;
  std::atomic<int> mismatches{0};
  for (int th = 0; th < 4; ++th) {
    threads.emplace_back([&, th] {
      for (int i = 0; i < 25; ++i) {
        const size_t k = (th * 25 + i) % texts.size();
        const tf::Output out = batcher.submit(texts[k]).get();
        const auto& got = out.labels()[0][0];
        const auto& want = refs[k].labels()[0][0];
        if (got.label != want.label || std::abs(got.score - want.score) > kTolerance) ++mismatches;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(mismatches.load(), 0);
  EXPECT_EQ(batcher.stats().calls, 100u);
}

namespace {
// Under a steady flow of short texts, a long one is still picked once it has waited max_wait: sorted by
// length, the first ready batch is always the short texts', and the batcher used to take it every time
// (found by the server's load benchmark: p90 20x the p50).
TEST(DynamicBatcher, ALongTextIsNotStarvedByAFlowOfShortOnes) {
  auto p = load("text-classification", "tiny-bert-sentiment");
  tf::DynamicBatcherOptions o;
  o.max_batch_size = 4;
  o.max_batch_tokens = 0;
  o.max_wait = std::chrono::microseconds(1000);
  o.sort_by_length = true;
  tf::DynamicBatcher batcher(p, o);
  std::atomic<bool> stop{false};
  std::vector<std::thread> flow;
  for (int i = 0; i < 32; ++i) {  // always more short texts waiting than a batch holds
    flow.emplace_back([&] {
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
      while (!stop && std::chrono::steady_clock::now() < deadline) batcher.submit("short").get();
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the flow is running
  std::string long_text;
  for (int i = 0; i < 40; ++i) long_text += "a much longer text ";
  const auto t0 = std::chrono::steady_clock::now();
  const tf::Output out = batcher.submit(long_text).get();
  const auto waited = std::chrono::steady_clock::now() - t0;
  stop = true;
  for (auto& t : flow) t.join();
  EXPECT_EQ(out, (*p)(long_text));
  EXPECT_LT(waited, std::chrono::seconds(1)) << std::chrono::duration<double>(waited).count() << " s";
}
}  // namespace
