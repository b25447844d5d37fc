// pipeline(task, model, options): the Transformers.js entry point, in C++.
#pragma once

#include <filesystem>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "transformers/engine.hpp"
#include "transformers/memory.hpp"
#include "transformers/tensor.hpp"

namespace transformers {

// Options when creating a pipeline (Transformers.js: pretrained options).
struct PipelineOptions {
  std::string dtype = "auto";              // fp32, fp16, q8, int8, uint8, q4, q4f16, bnb4, ... or auto
  std::string model_file_name = "model";   // onnx/<model_file_name><dtype suffix>.onnx
  SessionOptions session;                  // threads, graph optimisation, weights
  // What happens to this pipeline's freed working memory; unset = the runtime default
  // (configure_allocator). With immediate, dispose() also returns the C heap's free pages (malloc_trim).
  std::optional<ReleasePolicy> release_policy;
};

enum class FunctionToApply { softmax, sigmoid, none };
enum class Pooling { none, mean, cls, first_token = cls, last_token, eos = last_token };

// Options of one call (Transformers.js: the options object of the pipeline call).
// Each task reads the fields it knows; the others are ignored, as in Transformers.js.
struct CallOptions {
  // text-classification: how many labels per input; nullopt = all labels.
  std::optional<int> top_k = 1;
  // text-classification: default from config.problem_type (sigmoid for multi_label_classification).
  std::optional<FunctionToApply> function_to_apply;
  // feature-extraction
  Pooling pooling = Pooling::none;
  bool normalize = false;
};

struct LabelScore {
  std::string label;
  float score = 0.0f;
};

// What a call returns: labels per input (classification) or a tensor (feature extraction).
class Output {
 public:
  using Labels = std::vector<std::vector<LabelScore>>;  // one list per input, best first
  Output(Labels labels, bool batched_input, std::optional<int> top_k);
  Output(Tensor tensor);

  bool is_labels() const { return std::holds_alternative<Labels>(value_); }
  bool is_tensor() const { return std::holds_alternative<Tensor>(value_); }
  const Labels& labels() const;  // throws InvalidInputError if this is a tensor
  const Tensor& tensor() const;  // throws InvalidInputError if these are labels
  // The JSON Transformers.js returns for the same call (its shapes, including the top_k=1 flattening).
  std::string to_json() const;
  // What shaped it (to rebuild an equal Output elsewhere, e.g. across a process worker's socket).
  bool batched_input() const { return batched_input_; }
  std::optional<int> top_k() const { return top_k_; }
  // Which inputs (indices into the call's texts) were cut to the model's maximum length: the result
  // describes only their first Pipeline::max_input_tokens() tokens. Not part of to_json() (Transformers.js
  // returns no such field); the CLI warns on stderr.
  const std::vector<size_t>& truncated_inputs() const { return truncated_; }
  void set_truncated_inputs(std::vector<size_t> inputs) { truncated_ = std::move(inputs); }

 private:
  std::variant<Labels, Tensor> value_;
  std::vector<size_t> truncated_;
  bool batched_input_ = false;
  std::optional<int> top_k_;
};

// What a pipeline costs in memory, as the pipeline manager accounts it (docs/memory.md).
struct PipelineFootprint {
  std::filesystem::path weights_file;  // the ONNX file (its weights, or their sidecar, are the bulk)
  uint64_t weight_bytes = 0;           // size of that file and its external data
  uint64_t mapped_weight_bytes = 0;    // of which served from a file mapping shared across pipelines
  uint64_t private_bytes = 0;          // weights ONNX Runtime copied into its own memory
  uint64_t peak_activation_bytes = 0;  // largest working memory seen in a call (0 until measured)
};

class Pipeline {
 public:
  Pipeline(Pipeline&&) noexcept;
  Pipeline& operator=(Pipeline&&) noexcept;
  ~Pipeline();  // disposes

  Output operator()(std::string_view text, const CallOptions& options = {}) const;
  Output operator()(const std::vector<std::string>& texts, const CallOptions& options = {}) const;
  // So that p({"a", "b"}) is a batch (without it the braces could also make a string_view).
  Output operator()(std::initializer_list<std::string> texts, const CallOptions& options = {}) const {
    return (*this)(std::vector<std::string>(texts), options);
  }

  // Releases the session, weights and tokenizer now. Idempotent; later calls throw DisposedError.
  void dispose();
  bool disposed() const;

  const std::string& task() const;  // canonical task name
  const std::filesystem::path& model_path() const;
  const std::string& dtype() const;  // resolved dtype
  const std::filesystem::path& onnx_file() const;
  PipelineFootprint footprint() const;  // throws DisposedError after dispose()
  // Tokens each text takes in a call (special tokens included, after truncation), without running the
  // model: what a dynamic batcher needs to group texts by length. InvalidInputError on invalid UTF-8.
  std::vector<size_t> token_counts(const std::vector<std::string>& texts) const;
  // The most tokens an input keeps (special tokens included): tokenizer_config.json's model_max_length,
  // lowered to the model's own position limit (config.json max_position_embeddings / n_positions, less
  // RoBERTa's padding offset, and a fixed sequence axis of the graph) when that is smaller. Real configs
  // often say model_max_length 1e30; Transformers.js then fails inside ONNX Runtime on a long input.
  size_t max_input_tokens() const;
  uint64_t memory_owner() const;        // its accounting id in the allocator (owner_memory())

  struct Impl;
  explicit Pipeline(std::unique_ptr<Impl> impl);

 private:
  std::unique_ptr<Impl> impl_;
};

// Creates a pipeline for a task ("text-classification", "sentiment-analysis", "feature-extraction",
// "embeddings") from a local Transformers.js model folder. Throws InvalidInputError for an unknown task
// (listing the known ones) and ModelLoadError for a folder that cannot be loaded.
Pipeline pipeline(std::string_view task, const std::filesystem::path& model, const PipelineOptions& options = {});

// The canonical task names and their aliases.
std::vector<std::string> supported_tasks();
// Alias -> canonical name; throws InvalidInputError listing the known tasks.
std::string canonical_task(std::string_view task);

}  // namespace transformers
