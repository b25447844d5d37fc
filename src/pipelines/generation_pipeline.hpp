// What the generating pipelines share (text-generation, text2text-generation, translation, summarization):
// the decoder (and encoder), the model's generation settings, the generation call with streaming and stop
// strings. Internal.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "generation/generation_config.hpp"
#include "generation/generator.hpp"
#include "pipelines/text_pipeline.hpp"

namespace transformers::pipelines {

// An encoder-decoder folder's two graphs (Optimum's names, as Transformers.js loads them).
inline constexpr const char* kEncoderModelFile = "encoder_model";
inline constexpr const char* kDecoderModelFile = "decoder_model_merged";

class GenerationPipeline : public Pipeline::Impl {
 public:
  // Decoder-only: onnx/<model_file_name>.onnx. Encoder-decoder: onnx/encoder_model.onnx (the Impl's session)
  // and onnx/decoder_model_merged.onnx, each with the dtype's suffix.
  GenerationPipeline(std::string task, const std::filesystem::path& model, const PipelineOptions& options,
                     bool encoder_decoder);

 protected:
  // The call's settings over the model's (the pipelines' max_new_tokens 256 first).
  generation::GenerationConfig call_config(const GenerationOptions& options) const;

  struct Generated {
    generation::GenerationOutput output;
    // Per sequence (one per row; beam search: num_return_sequences per row, row after row): the decoded text
    // of its whole sequence (special tokens skipped), cut before the first stop string of its new text.
    std::vector<std::string> texts;
    size_t per_input = 1;  // sequences per input row
  };
  // Runs generation on a batch; streams through the call's StreamCallback (current_stream()) and stops at
  // stop strings. `search_from`: per row, the bytes of its decoded text that are prompt (stop strings are
  // looked for after them).
  Generated generate(const generation::TokenBatch& batch, const generation::GenerationConfig& config,
                     const std::vector<size_t>& search_from);

  generation::GenerationModel model;
  generation::GenerationConfig model_config;
  nlohmann::json tokenizer_config = nlohmann::json::object();  // tokenizer_config.json ({} when absent)
  nlohmann::json model_json = nlohmann::json::object();        // config.json
};

// The byte offset where the first `units` UTF-16 code units of `text` end: Transformers.js cuts decoded text
// by JavaScript string lengths (jinja::text::utf16_length counts them).
size_t utf16_offset(std::string_view text, size_t units);

}  // namespace transformers::pipelines
