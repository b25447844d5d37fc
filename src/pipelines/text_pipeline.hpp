// What every text pipeline shares: the model folder, the tokenizer, the session, and a dispose lock.
#pragma once

#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "transformers/engine.hpp"
#include "transformers/model_folder.hpp"
#include "transformers/pipeline.hpp"
#include "transformers/tokenizer.hpp"

namespace transformers {

// A call's working memory grows with its padded batch (rows x longest, and attention with its square):
// 100,000 texts in one batch took 24 GB (issue 11). More padded tokens than this run in pieces: a call's
// inputs in chunks (Pipeline::call), a forward's rows in groups (Impl::forward).
inline constexpr size_t kChunkTokens = 16384;

struct Pipeline::Impl {
  // `file_name`: the graph to load as `session` (onnx/<file_name><dtype suffix>.onnx); empty =
  // options.model_file_name. Encoder-decoder pipelines load their encoder here and their decoder after.
  Impl(std::string task, const std::filesystem::path& model, const PipelineOptions& options,
       const std::string& file_name = {});
  virtual ~Impl();
  // Frees the session and tokenizer and gives their memory back per the release policy.
  void release();

  // Runs the task on a batch of inputs; `batched_input` says whether the caller passed a list; `options`
  // are resolved (the task's own type, never std::monostate).
  virtual Output run(const PipelineInputs& inputs, bool batched_input, const CallOptions& options) = 0;

  // Tokenizes as Transformers.js' text pipelines do (padding: true, truncation: true; pairs as
  // tokenizer(text, {text_pair})) and runs the graph.
  struct Forward {
    std::vector<Encoding> rows;  // per input, padded (offsets and tokens for the tasks that need them)
    BatchEncoding encoding;
    std::vector<OutputTensor> outputs;
  };
  Forward forward(const PipelineInputs& inputs, const std::vector<std::string>& output_names);
  // The same for encodings a task made itself (windows, pairs of its own): padded here to the longest.
  Forward forward(std::vector<Encoding> rows, const std::vector<std::string>& output_names);
  // A graph output the task needs: ModelLoadError naming the file when it is missing.
  void require_output(const std::string& name) const;
  // A task's result, told which inputs the forward pass truncated.
  static Output with_truncation(Output out, Forward& f) {
    out.set_truncated_inputs(std::move(f.encoding.truncated));
    return out;
  }
  void check_encoding(const BatchEncoding& encoding, size_t texts) const;
  // config.json's id2label must name exactly the graph's classes (Transformers.js would silently call the
  // missing ones LABEL_i and drop the extra ones): ModelLoadError otherwise.
  void check_labels(size_t classes, const std::string& output) const;

  std::string task;
  std::filesystem::path model_path;
  std::string dtype;
  std::filesystem::path onnx_file;
  ModelConfig config;
  std::optional<Tokenizer> tokenizer;
  std::optional<Session> session;
  // Encoder-decoder pipelines: the decoder (`session` is the encoder); released with it.
  std::optional<Session> decoder_session;
  std::filesystem::path decoder_file;
  size_t max_tokens = 0;  // Pipeline::max_input_tokens()
  EncodeOptions encode_options() const;  // what forward() and token_counts() tokenize with
  bool disposed = false;
  uint64_t memory_owner = 0;
  bool owns_memory_owner = true;
  ReleasePolicy release_policy;  // effective (the pipeline's, else the runtime default at creation)
  // Calls hold it shared; dispose() holds it exclusive, so it waits for calls in flight.
  std::shared_mutex lifetime;
};

std::unique_ptr<Pipeline::Impl> make_text_classification(const std::filesystem::path& model,
                                                         const PipelineOptions& options);
std::unique_ptr<Pipeline::Impl> make_feature_extraction(const std::filesystem::path& model,
                                                        const PipelineOptions& options);
std::unique_ptr<Pipeline::Impl> make_token_classification(const std::filesystem::path& model,
                                                          const PipelineOptions& options);
std::unique_ptr<Pipeline::Impl> make_fill_mask(const std::filesystem::path& model, const PipelineOptions& options);
std::unique_ptr<Pipeline::Impl> make_question_answering(const std::filesystem::path& model,
                                                        const PipelineOptions& options);
std::unique_ptr<Pipeline::Impl> make_text_generation(const std::filesystem::path& model, const PipelineOptions& options);
std::unique_ptr<Pipeline::Impl> make_text2text_generation(const std::filesystem::path& model,
                                                          const PipelineOptions& options);
std::unique_ptr<Pipeline::Impl> make_translation(const std::filesystem::path& model, const PipelineOptions& options);
std::unique_ptr<Pipeline::Impl> make_summarization(const std::filesystem::path& model, const PipelineOptions& options);
std::unique_ptr<Pipeline::Impl> make_zero_shot_classification(const std::filesystem::path& model,
                                                              const PipelineOptions& options);

}  // namespace transformers
