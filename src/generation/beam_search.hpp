// Beam search (num_beams > 1 without sampling). Transformers.js 4.3.1 has none; the semantics are Hugging
// Face transformers 4.46's _beam_search with BeamSearchScorer (docs/generation.md), checked against the
// independent reference tools/golden/beam_ref.py. Internal.
#pragma once

#include "generation/generator.hpp"

namespace transformers::generation {

// `start_rows`: each input row's decoder start (prompt or decoder start token); `max_length` as generate()
// resolved it. Returns num_return_sequences sequences per input row, best first (input row i's at
// [i * R, (i + 1) * R)), each the start row then the hypothesis' tokens. No step callback: the best beam is
// known only at the end (the pipelines refuse streaming and stop strings with beams).
GenerationOutput beam_search(const GenerationModel& model, const TokenBatch& input, const GenerationConfig& config,
                             std::vector<std::vector<int64_t>> start_rows, size_t max_length, uint64_t owner);

}  // namespace transformers::generation
