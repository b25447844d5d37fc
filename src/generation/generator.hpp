// The generation loop over ONNX graphs exported as Hugging Face Optimum exports them (what Transformers.js
// loads): decoder-only (onnx/model.onnx with past_key_values.{i}.key/.value → present.{i}.*) and
// encoder-decoder (onnx/encoder_model.onnx + onnx/decoder_model_merged.onnx, past_key_values.{i}.decoder.* and
// .encoder.*, use_cache_branch). A prefill, then one token per step through the bound cache
// (docs/generation.md). Internal.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "generation/generation_config.hpp"
#include "generation/kv_cache.hpp"
#include "transformers/engine.hpp"
#include "transformers/model_folder.hpp"

namespace transformers::generation {

using Clock = std::chrono::steady_clock;
inline double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

// The graphs of a generating model and what they take, checked at load (ModelLoadError naming the file).
struct GenerationModel {
  const Session* encoder = nullptr;  // encoder-decoder only
  const Session* decoder = nullptr;
  bool encoder_decoder = false;
  std::vector<CacheTensorSpec> self_cache;   // grows with the sequence
  std::vector<CacheTensorSpec> cross_cache;  // encoder-decoder: computed at the first step, then fixed
  bool position_ids = false, attention_mask = false, use_cache_branch = false, num_logits_to_keep = false;
  bool encoder_attention_mask = false, encoder_token_type_ids = false;
  size_t vocab = 0;
  // Positions a learned position table has (gpt2's n_positions): generating past it is an InvalidInputError
  // up front, not an ONNX Runtime Gather error; 0 = no such limit (rotary positions).
  size_t position_limit = 0;
};
// `config` and `config_json` are the folder's config.json (typed and whole); the cache geometry comes from the
// graph's past inputs and, where their dims are symbolic, from config.json as Transformers.js derives it per
// model_type.
GenerationModel describe_generation_model(const Session* encoder, const Session& decoder, const ModelConfig& config,
                                          const nlohmann::json& config_json);

// A batch of token rows, row-major: decoder-only prompts (left-padded) or encoder inputs (right-padded).
struct TokenBatch {
  size_t batch = 0, length = 0;
  std::vector<int64_t> ids, mask;
};

// Called after every step with each row's new token; returning false stops generation (the call returns
// what it has). Exceptions propagate: the call fails, its memory is freed.
using StepCallback = std::function<bool(std::span<const int64_t> new_tokens)>;


struct GenerationOutput {
  // Per row: the decoder's whole sequence (decoder-only: prompt with its padding, then generated tokens;
  // encoder-decoder: decoder start token, then generated tokens), as Transformers.js' generate() returns it.
  std::vector<std::vector<int64_t>> sequences;
  size_t prompt_length = 0;  // tokens before the generated ones
  // Beam search: num_return_sequences sequences per input row (row i's at [i * R, (i + 1) * R)), best
  // first, and each one's score (sum of log-probabilities / generated length ^ length_penalty).
  std::vector<double> scores;
  GenerationStats stats;
};

// `owner`: the allocator owner the cache and logits buffers are charged to (the pipeline).
GenerationOutput generate(const GenerationModel& model, const TokenBatch& input, GenerationConfig config,
                          uint64_t owner, const StepCallback& on_step = {});

}  // namespace transformers::generation
