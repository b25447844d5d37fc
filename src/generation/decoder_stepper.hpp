// One decoder run per generation step, over rows that may be beams: the inputs of the step (ids, attention
// mask, positions, encoder states, use_cache_branch), the cache bound in and out, the logits bound into a
// buffer of ours. Internal.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "generation/generator.hpp"
#include "generation/kv_cache.hpp"

namespace transformers::generation {

class DecoderStepper {
 public:
  // `input`: the prompts (decoder-only, left-padded) or the encoder's input (encoder-decoder), one row per
  // sequence; `copies`: decoder rows per input row (beams), in order. Runs the encoder. `max_length`: the
  // most positions a row reaches. Buffers are charged to `owner`.
  DecoderStepper(const GenerationModel& model, const TokenBatch& input, size_t copies, size_t max_length,
                 uint64_t owner);
  size_t rows() const { return rows_; }
  // Runs the decoder on the last `seq` tokens of each row of `ids` (the whole prompt first, then 1) and
  // returns each row's last-position logits, `vocab` apart, for the caller to process in place (valid until
  // the next step).
  float* step(const std::vector<std::vector<int64_t>>& ids);
  // Beam search: row r continues source row sources[r] (a row of the same input row).
  void reorder(std::span<const size_t> sources) { cache_.reorder(sources); }
  uint64_t cache_bytes() const { return cache_.bytes() + cross_.bytes(); }
  uint64_t cache_bytes_per_token() const { return cache_.bytes_per_token(); }

 private:
  const GenerationModel& model_;
  const TokenBatch& input_;
  size_t copies_, rows_, steps_ = 0;
  KvCache cache_, cross_;
  std::vector<OutputTensor> encoder_out_;  // encoder-decoder: last_hidden_state, rows repeated `copies` times
  std::vector<int64_t> encoder_mask_, mask_, step_ids_, positions_;
  OwnedBuffer prefill_logits_, step_logits_;
  std::vector<float> last_;  // prefill without num_logits_to_keep: each row's last position, gathered
  uint64_t owner_;
};

}  // namespace transformers::generation
