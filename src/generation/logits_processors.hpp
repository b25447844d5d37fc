// The logits processors of a generation step, in Transformers.js 4.3.1's order and arithmetic (float32 logits,
// each change computed in double and stored as float32, as its Float32Array does). Internal.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "generation/generation_config.hpp"

namespace transformers::generation {

class LogitsProcessors {
 public:
  // `input_length`: tokens of the padded prompt (decoder-only) or of the decoder start (encoder-decoder);
  // Transformers.js' input_ids_seq_length. `vocab`: logits per row. InvalidInputError naming an option
  // whose token id is outside [0, vocab).
  LogitsProcessors(const GenerationConfig& config, size_t input_length, size_t vocab);
  // One row: `ids` is the row's whole sequence so far (prompt, padding included, and generated tokens).
  void apply(std::span<const int64_t> ids, std::span<float> logits) const;

 private:
  const GenerationConfig& config_;
  size_t input_length_;
  size_t begin_index_;  // where begin_suppress_tokens apply
};

}  // namespace transformers::generation
