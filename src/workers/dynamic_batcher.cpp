// DynamicBatcher: dispatcher threads merge queued calls with equal options into inferences.
#include "transformers/dynamic_batcher.hpp"

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>

#include "pipelines/batch_rows.hpp"
#include "pipelines/task_registry.hpp"
#include "workers/batch_cost.hpp"

namespace transformers {

namespace {

using Clock = std::chrono::steady_clock;
// Where a learned overhead starts: the MiniLM-sized classifier's, measured (docs/batching.md).
constexpr double kPriorOverheadTokens = 16;

}  // namespace

struct DynamicBatcher::State {
  struct Call {
    std::string text;
    std::optional<std::string> text_pair;
    CallOptions options;
    size_t tokens = 0;
    std::promise<Output> promise;
    Clock::time_point queued;
    uint64_t seq = 0;  // arrival order
    // Split by the cheapest split while its group could fill a batch: its batch runs without waiting,
    // however the rest of the group is split later (else a remainder shorter than a batch would wait).
    bool committed = false;
  };
  struct Batch {
    std::vector<size_t> members;  // indices into the group
    bool closed = false;          // nothing more could join it
  };

  Backend backend;
  DynamicBatcherOptions options;

  mutable std::mutex mu;  // guards everything below except stats
  std::condition_variable wake;
  std::deque<std::unique_ptr<Call>> queue;
  uint64_t next_seq = 1;
  uint64_t flush_seq = 0;  // calls with seq <= this run without waiting
  bool stopping = false;

  mutable std::mutex stats_mu;
  DynamicBatcherStats stats;

  std::mutex join_mu;  // two concurrent stop() calls must not both join
  std::vector<std::thread> dispatchers;

  std::optional<workers::InferenceCostModel> learned;  // set when the overhead is learned

  double overhead_tokens() const {
    return learned ? learned->overhead_tokens() : static_cast<double>(options.inference_overhead_tokens);
  }
  void loop();
  std::vector<Batch> cut(const std::vector<Call*>& group) const;
  void run(std::vector<std::unique_ptr<Call>> calls);
  std::vector<Output> split(const Output& out, const std::vector<size_t>& tokens, const CallOptions& requested) const;
};

// Cuts one group (arrival order, or sorted by length) into batches; a batch is closed when nothing more
// could join it. With left padding, the real tokens of a shorter input would move to other positions (the
// graph numbers positions from the left edge), which changes its result: then only calls of equal length
// share a batch.
std::vector<DynamicBatcher::State::Batch> DynamicBatcher::State::cut(const std::vector<Call*>& group) const {
  std::vector<size_t> order(group.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  const bool sorted = options.sort_by_length || backend.pad_left;
  if (sorted) {
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return group[a]->tokens < group[b]->tokens; });
  }
  const size_t cap_tokens = options.max_batch_tokens;
  auto full = [&](size_t size, size_t longest) {
    return size >= options.max_batch_size || (cap_tokens && (size + 1) * longest > cap_tokens);
  };
  // Whether `size` calls of `own` tokens in all, the longest `longest`, may share one inference
  // (`equal`: all of one length).
  auto allowed = [&](size_t size, size_t longest, size_t own, bool equal) {
    if (size == 1) return true;
    if (size > options.max_batch_size || (cap_tokens && size * longest > cap_tokens)) return false;
    if (backend.pad_left && !equal) return false;
    const double padded = static_cast<double>(size * longest);
    return padded == 0 || 1.0 - static_cast<double>(own) / padded <= options.max_padding_waste;
  };
  std::vector<Batch> batches;
  if (sorted && options.split == DynamicBatcherOptions::Split::cheapest) {
    std::vector<size_t> tokens;
    for (size_t i : order) tokens.push_back(group[i]->tokens);
    // Once the group could fill a batch on its own, waiting would delay every batch and change none.
    const bool enough = group.size() >= options.max_batch_size;
    size_t next = 0;
    for (size_t size : workers::cheapest_split(tokens, overhead_tokens(), allowed)) {
      Batch b;
      b.members.assign(order.begin() + static_cast<std::ptrdiff_t>(next), order.begin() + static_cast<std::ptrdiff_t>(next + size));
      next += size;
      if (enough) {
        for (size_t i : b.members) group[i]->committed = true;
      }
      b.closed = enough || full(size, tokens[next - 1]) ||
                 std::any_of(b.members.begin(), b.members.end(), [&](size_t i) { return group[i]->committed; });
      batches.push_back(std::move(b));
    }
    return batches;
  }
  Batch cur;  // greedy: a batch takes calls in order until the next one may not join
  size_t longest = 0, own = 0;
  for (size_t i : order) {
    const size_t t = group[i]->tokens;
    if (!cur.members.empty() && !allowed(cur.members.size() + 1, std::max(longest, t), own + t, t == longest)) {
      cur.closed = full(cur.members.size(), longest);
      batches.push_back(std::move(cur));
      cur = Batch{};
      longest = 0;
      own = 0;
    }
    cur.members.push_back(i);
    longest = std::max(longest, t);
    own += t;
  }
  if (!cur.members.empty()) {
    cur.closed = full(cur.members.size(), longest);
    batches.push_back(std::move(cur));
  }
  return batches;
}

void DynamicBatcher::State::loop() {
  std::unique_lock lock(mu);
  for (;;) {
    if (queue.empty()) {
      if (stopping) return;
      wake.wait(lock, [&] { return stopping || !queue.empty(); });
      continue;
    }
    const Clock::time_point now = Clock::now();
    // Groups of equal options, in the order of their oldest call.
    std::vector<std::vector<Call*>> groups;
    for (const auto& c : queue) {
      auto g = std::find_if(groups.begin(), groups.end(),
                            [&](const std::vector<Call*>& grp) { return grp.front()->options == c->options && grp.front()->text_pair.has_value() == c->text_pair.has_value(); });
      if (g == groups.end()) groups.push_back({c.get()});
      else g->push_back(c.get());
    }
    Clock::time_point next_deadline = Clock::time_point::max();
    // A ready batch of the oldest group that has one (its oldest call's, when ready); other dispatchers take the next ones.
    std::vector<Call*> ready;
    bool more_ready = false;
    for (const auto& group : groups) {
      const Clock::time_point queued = group.front()->queued;
      // Saturated: a huge max_wait means "until full, flush() or stop()", not an overflow.
      const Clock::time_point deadline = options.max_wait >= std::chrono::duration_cast<std::chrono::microseconds>(Clock::time_point::max() - queued)
                                             ? Clock::time_point::max()
                                             : queued + std::chrono::duration_cast<Clock::duration>(options.max_wait);
      const bool force = stopping || group.front()->seq <= flush_seq || now >= deadline;
      if (!ready.empty()) {  // an older group's batch is taken: is this group's ready too?
        for (const auto& b : cut(group)) more_ready = more_ready || force || b.closed;
        if (more_ready) break;
        next_deadline = std::min(next_deadline, deadline);
        continue;
      }
      // Of this group's ready batches, the one holding its oldest call (group[0]) if it is ready, else the
      // first: sorted by length, the first is the shortest texts', and under a steady flow of short ones a
      // long text would otherwise never be picked (the server's p90 was 20x its p50 at 64 connections).
      const auto batches = cut(group);
      const Batch* chosen = nullptr;
      size_t ready_count = 0;
      for (const auto& b : batches) {
        if (!force && !b.closed) continue;
        ++ready_count;
        const bool oldest = std::find(b.members.begin(), b.members.end(), size_t{0}) != b.members.end();
        if (!chosen || oldest) chosen = &b;
      }
      if (chosen) {
        for (size_t i : chosen->members) ready.push_back(group[i]);
        more_ready = ready_count > 1;
        if (more_ready) break;
        continue;
      }
      next_deadline = std::min(next_deadline, deadline);
    }
    if (ready.empty()) {
      if (next_deadline == Clock::time_point::max()) wake.wait(lock);
      else wake.wait_until(lock, next_deadline);
      continue;
    }
    // Take the batch's calls out of the queue, keeping the others in arrival order.
    std::vector<std::unique_ptr<Call>> batch;
    std::deque<std::unique_ptr<Call>> rest;
    for (auto& c : queue) {
      if (std::find(ready.begin(), ready.end(), c.get()) != ready.end()) batch.push_back(std::move(c));
      else rest.push_back(std::move(c));
    }
    queue = std::move(rest);
    if (more_ready) wake.notify_one();  // an idle dispatcher can run the next one meanwhile
    lock.unlock();
    run(std::move(batch));
    lock.lock();
  }
}

// The batch's Output cut into what each call would get alone (an unbatched input, its own positions).
std::vector<Output> DynamicBatcher::State::split(const Output& out, const std::vector<size_t>& tokens,
                                                 const CallOptions& requested) const {
  return pipelines::split_batch(out, tokens, backend.pad_left, requested, "dynamic batcher");
}

void DynamicBatcher::State::run(std::vector<std::unique_ptr<Call>> calls) {
  const Clock::time_point start = Clock::now();
  const CallOptions requested = calls.front()->options;
  const CallOptions asked = pipelines::batch_options(requested);
  PipelineInputs texts;
  std::vector<size_t> tokens;
  size_t own_tokens = 0;
  double wait_sum = 0, wait_max = 0;
  for (const auto& c : calls) {
    texts.texts.push_back(c->text);
    if (c->text_pair) texts.text_pairs.push_back(*c->text_pair);
    tokens.push_back(c->tokens);
    own_tokens += c->tokens;
    const double w = std::chrono::duration<double, std::micro>(start - c->queued).count();
    wait_sum += w;
    wait_max = std::max(wait_max, w);
  }
  const size_t longest = *std::max_element(tokens.begin(), tokens.end());
  {
    std::lock_guard s(stats_mu);
    stats.batches += 1;
    stats.batched_calls += calls.size();
    stats.max_batch_size = std::max<uint64_t>(stats.max_batch_size, calls.size());
    stats.tokens += own_tokens;
    stats.padded_tokens += longest * calls.size();
    stats.total_wait_us += wait_sum;
    stats.max_wait_us = std::max(stats.max_wait_us, wait_max);
  }
  std::vector<Output> results;
  std::vector<std::exception_ptr> errors(calls.size());
  std::exception_ptr failure;
  try {
    const Clock::time_point began = Clock::now();
    Output out = backend.run(texts, asked);
    if (learned) learned->record(longest * calls.size(), std::chrono::duration<double, std::micro>(Clock::now() - began).count());
    results = split(out, tokens, requested);
  } catch (...) {
    failure = std::current_exception();
  }
  const bool retry = failure && calls.size() > 1 && options.isolate_failures;
  if (retry) {
    // One bad input must not fail its neighbours: each call again, alone.
    results.clear();
    for (size_t i = 0; i < calls.size(); ++i) {
      try {
        PipelineInputs one{{texts.texts[i]}, {}};
        if (texts.pairs()) one.text_pairs.push_back(texts.text_pairs[i]);
        results.push_back(std::move(split(backend.run(one, asked), {tokens[i]}, requested).front()));
      } catch (...) {
        results.emplace_back(Tensor{});  // placeholder; the error is what the caller gets
        errors[i] = std::current_exception();
      }
    }
  } else if (failure) {
    std::fill(errors.begin(), errors.end(), failure);
  }
  {  // stats before the promises, so that a caller who got its result sees its call counted
    std::lock_guard s(stats_mu);
    stats.calls += calls.size();
    if (failure) stats.failed_batches += 1;
    if (retry) stats.isolated_retries += calls.size();
  }
  for (size_t i = 0; i < calls.size(); ++i) {
    if (errors[i]) calls[i]->promise.set_exception(errors[i]);
    else calls[i]->promise.set_value(std::move(results[i]));
  }
}

DynamicBatcher::DynamicBatcher(std::shared_ptr<Pipeline> pipeline, DynamicBatcherOptions options)
    : DynamicBatcher(
          [&] {
            if (!pipeline) throw InvalidInputError("DynamicBatcher: the pipeline is null");
            if (!pipelines::task_spec(pipeline->task()).batches)
              throw InvalidInputError("DynamicBatcher: " + pipeline->task() + " calls cannot be merged");
            Backend b;
            b.pad_left = pipelines::tokenizer_pads_left(pipeline->model_path());
            b.token_counts = [p = pipeline](const PipelineInputs& in) { return p->token_counts(in); };
            b.run = [p = pipeline](const PipelineInputs& in, const CallOptions& o) { return p->call(in, true, o); };
            b.resolve_options = [p = pipeline](const CallOptions& o) { return p->resolve_options(o); };
            return b;
          }(),
          options) {}

DynamicBatcher::DynamicBatcher(Backend backend, DynamicBatcherOptions options)
    : options_(options), state_(std::make_unique<State>()) {
  if (options.max_batch_size == 0) throw InvalidInputError("DynamicBatcher: max_batch_size must be at least 1");
  if (options.max_concurrent_batches == 0) {
    throw InvalidInputError("DynamicBatcher: max_concurrent_batches must be at least 1");
  }
  if (options.max_wait.count() < 0) throw InvalidInputError("DynamicBatcher: max_wait must not be negative");
  if (!(options.max_padding_waste >= 0.0 && options.max_padding_waste <= 1.0))
    throw InvalidInputError("DynamicBatcher: max_padding_waste must be within 0..1");
  if (!backend.token_counts || !backend.run) {
    throw InvalidInputError("DynamicBatcher: the backend needs both token_counts and run");
  }
  state_->backend = std::move(backend);
  state_->options = options;
  if (options.split == DynamicBatcherOptions::Split::cheapest && options.inference_overhead_tokens == 0) {
    state_->learned.emplace(kPriorOverheadTokens);
  }
  for (size_t i = 0; i < options.max_concurrent_batches; ++i) {
    state_->dispatchers.emplace_back([s = state_.get()] { s->loop(); });
  }
}

DynamicBatcher::~DynamicBatcher() { stop(); }

std::future<Output> DynamicBatcher::submit(std::string text, const CallOptions& options) {
  return submit_input(std::move(text), std::nullopt, options);
}

std::future<Output> DynamicBatcher::submit(TextPair input, const CallOptions& options) {
  return submit_input(std::move(input.text), std::move(input.text_pair), options);
}

std::future<Output> DynamicBatcher::submit_input(std::string text, std::optional<std::string> text_pair,
                                                 const CallOptions& options) {
  auto call = std::make_unique<State::Call>();
  std::future<Output> future = call->promise.get_future();
  {
    std::lock_guard lock(state_->mu);
    if (state_->stopping) {
      call->promise.set_exception(std::make_exception_ptr(BatcherStoppedError("DynamicBatcher: stopped; no more calls")));
      return future;
    }
  }
  // Counted on the caller's thread: a bad text fails here, alone, before it can join a batch.
  try {
    PipelineInputs one;
    one.texts.push_back(std::move(text));
    if (text_pair) one.text_pairs.push_back(*text_pair);
    // Resolved, so that default options and their explicit equivalent share a batch (and a wrong task's
    // options fail here, alone).
    call->options = state_->backend.resolve_options ? state_->backend.resolve_options(options) : options;
    const std::vector<size_t> counts = state_->backend.token_counts(one);
    if (counts.size() != 1) throw Error("DynamicBatcher: token_counts returned " + std::to_string(counts.size()) + " counts for 1 text");
    call->tokens = counts.front();
    call->text = std::move(one.texts.front());
    call->text_pair = std::move(text_pair);
  } catch (...) {
    {
      std::lock_guard s(state_->stats_mu);
      state_->stats.calls += 1;
    }
    call->promise.set_exception(std::current_exception());
    return future;
  }
  {
    std::lock_guard lock(state_->mu);
    if (state_->stopping) {
      call->promise.set_exception(std::make_exception_ptr(BatcherStoppedError("DynamicBatcher: stopped; no more calls")));
      return future;
    }
    call->queued = Clock::now();
    call->seq = state_->next_seq++;
    state_->queue.push_back(std::move(call));
  }
  state_->wake.notify_one();
  return future;
}

void DynamicBatcher::flush() {
  {
    std::lock_guard lock(state_->mu);
    state_->flush_seq = state_->next_seq - 1;
  }
  state_->wake.notify_all();
}

void DynamicBatcher::stop() {
  {
    std::lock_guard lock(state_->mu);
    state_->stopping = true;
  }
  state_->wake.notify_all();
  std::lock_guard join(state_->join_mu);
  for (auto& t : state_->dispatchers) {
    if (t.joinable()) t.join();
  }
}

DynamicBatcherStats DynamicBatcher::stats() const {
  DynamicBatcherStats out;
  {
    std::lock_guard s(state_->stats_mu);
    out = state_->stats;
  }
  out.overhead_tokens = state_->overhead_tokens();
  return out;
}

}  // namespace transformers
