// pipeline(task, model, options): the Transformers.js entry point, in C++.
#pragma once

#include <filesystem>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "transformers/engine.hpp"
#include "transformers/memory.hpp"
#include "transformers/tasks/feature_extraction.hpp"
#include "transformers/tasks/fill_mask.hpp"
#include "transformers/tasks/question_answering.hpp"
#include "transformers/tasks/text2text_generation.hpp"
#include "transformers/tasks/text_classification.hpp"
#include "transformers/tasks/text_generation.hpp"
#include "transformers/tasks/token_classification.hpp"
#include "transformers/tasks/zero_shot_classification.hpp"
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

// Options of one call: the task's own options type (each task's header lists its fields), or
// std::monostate for the task's defaults. Options of another task are an InvalidInputError naming both.
using CallOptions = std::variant<std::monostate, TextClassificationOptions, FeatureExtractionOptions,
                                 TokenClassificationOptions, FillMaskOptions, QuestionAnsweringOptions,
                                 ZeroShotClassificationOptions, TextGenerationOptions, Text2TextGenerationOptions,
                                 TranslationOptions, SummarizationOptions>;

// What a call returns: the task's result type.
using TaskResult = std::variant<TextClassificationResult, FeatureExtractionResult, TokenClassificationResult,
                            FillMaskResult, QuestionAnsweringResult, ZeroShotClassificationResult,
                            TextGenerationResult, Text2TextGenerationResult, TranslationResult, SummarizationResult>;

// Two texts given to the model as one input: text-classification's {text, text_pair} (cross-encoders,
// rerankers) and question-answering's question (text) and context (text_pair), as Transformers.js
// tokenizes them.
struct TextPair {
  std::string text;
  std::string text_pair;
  bool operator==(const TextPair&) const = default;
};

class Output {
 public:
  using Labels = std::vector<std::vector<LabelScore>>;  // one list per input, best first
  // `batched_input`: the caller passed a list (Transformers.js' output shapes differ).
  Output(TaskResult result, bool batched_input);
  Output(Labels labels, bool batched_input, std::optional<int> top_k);  // a text-classification result
  Output(Tensor tensor);                                                // a feature-extraction result

  const TaskResult& result() const { return result_; }
  template <class R>
  bool holds() const { return std::holds_alternative<R>(result_); }
  // The task's result; InvalidInputError naming both kinds if it is another task's.
  template <class R>
  const R& get() const {
    if (!holds<R>()) wrong_kind(TaskResult(std::in_place_type<R>).index());
    return std::get<R>(result_);
  }
  bool is_labels() const { return holds<TextClassificationResult>(); }
  bool is_tensor() const { return holds<FeatureExtractionResult>(); }
  const Labels& labels() const { return get<TextClassificationResult>().inputs; }
  const Tensor& tensor() const { return get<FeatureExtractionResult>().tensor; }
  // The JSON Transformers.js returns for the same call (its shapes, including the top_k=1 flattening).
  // Fields beyond Transformers.js (start/end offsets) are added to its objects, none removed.
  std::string to_json() const;
  bool batched_input() const { return batched_input_; }
  // Which inputs (indices into the call's texts) were cut to the model's maximum length: the result
  // describes only their first Pipeline::max_input_tokens() tokens. Not part of to_json() (Transformers.js
  // returns no such field); the CLI warns on stderr.
  const std::vector<size_t>& truncated_inputs() const { return truncated_; }
  void set_truncated_inputs(std::vector<size_t> inputs) { truncated_ = std::move(inputs); }
  // Generation tasks: what the call measured (prefill, steps, cache); unset for the others.
  const std::optional<GenerationStats>& generation_stats() const { return generation_stats_; }
  void set_generation_stats(GenerationStats stats) { generation_stats_ = std::move(stats); }
  // Equal results (measurements are not compared).
  bool operator==(const Output& o) const {
    return result_ == o.result_ && truncated_ == o.truncated_ && batched_input_ == o.batched_input_;
  }

 private:
  [[noreturn]] void wrong_kind(size_t wanted) const;
  TaskResult result_;
  std::vector<size_t> truncated_;
  bool batched_input_ = false;
  std::optional<GenerationStats> generation_stats_;
};

// The inputs of one call as every layer carries them: texts, and for pair inputs their second texts
// (empty, or one per text).
struct PipelineInputs {
  std::vector<std::string> texts;
  std::vector<std::string> text_pairs;
  // text-generation: chats instead of texts (rendered with the tokenizer's chat template).
  std::vector<Chat> chats;
  size_t size() const { return chats.empty() ? texts.size() : chats.size(); }
  bool pairs() const { return !text_pairs.empty(); }
  bool operator==(const PipelineInputs&) const = default;
};

// Streaming of generation tasks: newly decodable text of one input after a generated token, as
// Transformers.js' TextStreamer gives it (the prompt skipped, special tokens skipped; never a piece that ends
// inside an unfinished UTF-8 sequence), and a last piece with `end` set for each input. Returning false stops
// generation (the call returns what it generated so far). An exception thrown here fails that call; the
// pipeline stays usable.
struct StreamChunk {
  size_t input = 0;  // which input of the call
  std::string text;
  bool end = false;
};
using StreamCallback = std::function<bool(const StreamChunk&)>;

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
  Output operator()(const TextPair& input, const CallOptions& options = {}) const;
  Output operator()(const std::vector<TextPair>& inputs, const CallOptions& options = {}) const;
  // Any call: `batched` says whether the caller passed a list (one input otherwise).
  Output call(const PipelineInputs& inputs, bool batched, const CallOptions& options = {}) const;
  // text-generation with chat input (the tokenizer's chat_template, add_generation_prompt).
  Output operator()(const Chat& chat, const CallOptions& options = {}) const;
  Output operator()(const std::vector<Chat>& chats, const CallOptions& options = {}) const;
  // A generation call that streams its text (InvalidInputError for a task that does not generate).
  Output stream(const PipelineInputs& inputs, bool batched, const CallOptions& options, const StreamCallback& on_text) const;
  // The call as JSON, Transformers.js-shaped, for programs that receive it as text (a server, a script):
  // inputs a string or a list of strings, {"text", "text_pair"} or a list of them, question-answering's
  // {"question", "context"} (both strings, or both lists of one length); options an object of the task's
  // fields (call_options_from_json; zero-shot's candidate_labels among them). InvalidInputError naming
  // what does not fit.
  Output call_json(std::string_view inputs_json, std::string_view options_json = "{}") const;
  // The options this pipeline's task reads, with std::monostate replaced by the task's defaults;
  // InvalidInputError for another task's options. Equal resolved options mean equal behaviour.
  CallOptions resolve_options(const CallOptions& options) const;

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
  std::vector<size_t> token_counts(const PipelineInputs& inputs) const;
  // The most tokens an input keeps (special tokens included): tokenizer_config.json's model_max_length,
  // lowered to the model's own position limit (config.json max_position_embeddings / n_positions, less
  // RoBERTa's padding offset, and a fixed sequence axis of the graph) when that is smaller. Real configs
  // often say model_max_length 1e30; Transformers.js then fails inside ONNX Runtime on a long input.
  size_t max_input_tokens() const;
  uint64_t memory_owner() const;        // its accounting id in the allocator (owner_memory())

  struct Impl;
  explicit Pipeline(std::unique_ptr<Impl> impl);

 private:
  const Impl& live_impl() const;  // DisposedError when moved from
  std::unique_ptr<Impl> impl_;
};

// Creates a pipeline for a task (supported_tasks(): text-classification, feature-extraction,
// token-classification, fill-mask, question-answering, zero-shot-classification and their aliases) from a
// local Transformers.js model folder. Throws InvalidInputError for an unknown task
// (listing the known ones) and ModelLoadError for a folder that cannot be loaded.
Pipeline pipeline(std::string_view task, const std::filesystem::path& model, const PipelineOptions& options = {});

// The canonical task names and their aliases.
std::vector<std::string> supported_tasks();
// Alias -> canonical name; throws InvalidInputError listing the known tasks.
std::string canonical_task(std::string_view task);

// A task's options from a JSON object of its fields, as Transformers.js takes them ({"top_k": 3}; null
// where null means something, e.g. top_k null = all labels). InvalidInputError naming an unknown field
// (listing the task's fields) or a value of the wrong type. What the CLI and the server parse.
CallOptions call_options_from_json(std::string_view task, std::string_view json);
// The fields of resolved options as a JSON object (the inverse; every field written).
std::string call_options_to_json(const CallOptions& options);
// The option fields a task reads, in order, with each one's kind ("integer", "integer or null",
// "boolean", "string", "list of strings", "one of none|simple|...") — for help texts and the CLI's flags.
std::vector<std::pair<std::string, std::string>> task_option_fields(std::string_view task);

}  // namespace transformers
