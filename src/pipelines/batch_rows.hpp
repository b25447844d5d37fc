// A batched call's Output cut into what each input would get from a call of its own: used by the dynamic
// batcher (which merges callers) and the CLI (which streams stdin in chunks). Internal.
#pragma once

#include <cstddef>
#include <filesystem>
#include <vector>

#include "transformers/pipeline.hpp"

namespace transformers::pipelines {

// Scales a row to unit L2 norm with double accumulation: feature-extraction's normalize, bit for bit.
void normalize_row(float* row, size_t width);

// The tokenizer's padding side, read as the tokenizer reads it: any padding_side but "right" pads left.
bool tokenizer_pads_left(const std::filesystem::path& model);

// One Output per input: a label list each (as an unbatched input), a [1, H] row of a pooled [N, H] tensor,
// or the input's own [1, tokens, H] positions of an unpooled [N, padded, H] one (pad_left: its tokens are
// the last ones). `tokens`: each input's token count (Pipeline::token_counts; read only for unpooled
// tensors, its size is the input count otherwise). Error naming `who` when
// the Output does not have one entry per input.
std::vector<Output> split_rows(const Output& out, const std::vector<size_t>& tokens, bool pad_left, const char* who);

}  // namespace transformers::pipelines
