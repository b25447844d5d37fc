// Dynamic batching: concurrent single-text calls to one pipeline merged into one inference
// (docs/batching.md). Each caller gets exactly the Output it would get calling the pipeline alone.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "transformers/error.hpp"
#include "transformers/pipeline.hpp"

namespace transformers {

// The batcher was stopped: it takes no more calls.
class BatcherStoppedError : public Error {
 public:
  using Error::Error;
  ErrorCode code() const noexcept override { return ErrorCode::batcher_stopped; }
};

struct DynamicBatcherOptions {
  // Calls merged into one inference at most (>= 1).
  size_t max_batch_size = 16;
  // Padded tokens of one inference at most (batch size x longest input); 0 = no limit. A call longer
  // than this on its own runs alone.
  size_t max_batch_tokens = 8192;
  // How long the oldest queued call waits for others before its batch runs anyway.
  std::chrono::microseconds max_wait{2000};
  // Cut batches from the queue sorted by token count, so that similar lengths share a batch (less padding).
  bool sort_by_length = true;
  // A batch closes before a call that would make more than this share of its tokens padding
  // (1 - own tokens / (batch size x longest)); 1 = no cap. Lengths far apart then run in separate batches.
  double max_padding_waste = 1.0;
  // How a sorted group of calls is cut into batches. cheapest: the split that costs least when one
  // inference costs a fixed overhead plus its padded tokens (merging pays while the padding a call brings
  // costs less than the inference it saves; at parity with unbatched calls on both mixes measured in
  // docs/batching.md, where greedy loses up to 38%); greedy: each batch takes calls until a cap stops it.
  // Arrival order (sort_by_length false) is always cut greedily.
  enum class Split { cheapest, greedy };
  Split split = Split::cheapest;
  // The cheapest split's fixed overhead of one inference, in tokens of run time (ONNX Runtime's per-operator
  // work, the pipeline's pre- and post-processing); 0 = learned from this batcher's own run times
  // (stats().overhead_tokens), starting from 16.
  size_t inference_overhead_tokens = 0;
  // Inferences in flight at once (dispatcher threads, >= 1). More than one pays when ONNX Runtime's
  // intra-op pool is smaller than the cores (configure_runtime intra_op_threads), see docs/batching.md.
  size_t max_concurrent_batches = 1;
  // When a merged inference fails, run its calls again one at a time so that only the bad call fails;
  // false = every caller of that batch gets the batch's error.
  bool isolate_failures = true;
};

struct DynamicBatcherStats {
  uint64_t calls = 0;            // calls answered (a result or an error)
  uint64_t batches = 0;          // merged inferences run (retries of a failed batch not counted)
  uint64_t batched_calls = 0;    // calls in those inferences (mean batch size = batched_calls / batches)
  uint64_t max_batch_size = 0;
  uint64_t failed_batches = 0;   // merged inferences that threw
  uint64_t isolated_retries = 0; // single-call inferences run after a failed merged one
  uint64_t tokens = 0;           // the calls' own tokens
  uint64_t padded_tokens = 0;    // sum over batches of batch size x longest input
  double total_wait_us = 0;      // queue wait (submit to its inference starting), summed
  double max_wait_us = 0;
  double overhead_tokens = 0;    // the cheapest split's overhead of one inference now (learned or given)

  double mean_batch_size() const { return batches ? double(batched_calls) / double(batches) : 0.0; }
  // Share of the tokens fed to the model that were padding: (padded - own) / padded.
  double padding_waste() const { return padded_tokens ? double(padded_tokens - tokens) / double(padded_tokens) : 0.0; }
  double mean_wait_us() const { return batched_calls ? total_wait_us / double(batched_calls) : 0.0; }
};

class DynamicBatcher {
 public:
  // What the batcher drives. Built from a pipeline by the pipeline constructor; give your own to batch
  // something else (a worker) or to inject faults in tests.
  struct Backend {
    // Token count of each input as `run` will tokenize it (special tokens included, after truncation).
    // Throws for a bad text (InvalidInputError): that call fails at once and is never merged.
    std::function<std::vector<size_t>(const PipelineInputs&)> token_counts;
    // One inference over a list of inputs (an Output for a list input, one entry per input).
    std::function<Output(const PipelineInputs&, const CallOptions&)> run;
    // The options `run` will apply (Pipeline::resolve_options); unset = as given. Calls share a batch
    // only when their resolved options are equal.
    std::function<CallOptions(const CallOptions&)> resolve_options;
    // Padding goes before the tokens (tokenizer_config.json padding_side "left"). Real tokens would then
    // sit at other positions than alone, so only calls of equal token count share a batch.
    bool pad_left = false;
  };

  // Throws InvalidInputError for max_batch_size 0 or a null pipeline.
  explicit DynamicBatcher(std::shared_ptr<Pipeline> pipeline, DynamicBatcherOptions options = {});
  explicit DynamicBatcher(Backend backend, DynamicBatcherOptions options = {});
  ~DynamicBatcher();  // stop(): drains
  DynamicBatcher(const DynamicBatcher&) = delete;
  DynamicBatcher& operator=(const DynamicBatcher&) = delete;

  // One text, answered as pipeline(text, options) would answer it: labels for one unbatched input;
  // feature-extraction [1, own tokens, hidden] with pooling none (padding cut away), [1, hidden] pooled.
  // Calls with equal options may share an inference; differing options never do. Errors (bad text,
  // DisposedError, BatcherStoppedError after stop()) arrive through the future. Thread-safe.
  std::future<Output> submit(std::string text, const CallOptions& options = {});
  // A pair input (text-classification {text, text_pair}, question-answering {question, context}).
  std::future<Output> submit(TextPair input, const CallOptions& options = {});

  // Runs every call queued now without waiting for max_wait (batches are still capped). Non-blocking.
  void flush();
  // Refuses new calls, runs every queued one, and waits for them. Idempotent; the destructor calls it.
  void stop();

  DynamicBatcherStats stats() const;
  const DynamicBatcherOptions& options() const { return options_; }

 private:
  std::future<Output> submit_input(std::string text, std::optional<std::string> text_pair, const CallOptions& options);
  struct State;
  DynamicBatcherOptions options_;
  std::unique_ptr<State> state_;
};

}  // namespace transformers
