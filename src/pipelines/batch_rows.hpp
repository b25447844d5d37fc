// A batched call's Output cut into what each input would get from a call of its own, and parts merged
// back into one call's Output: used by the pipeline (chunks of a long call), the dynamic batcher (which
// merges callers) and the CLI (which streams stdin in batches). Every result type is a list with one
// entry per input except feature-extraction's tensor, the one result these functions know by type.
// Internal.
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

// One Output per input (unbatched): a result list's own entry, a [1, H] row of a pooled [N, H] tensor,
// or the input's own [1, tokens, H] positions of an unpooled [N, padded, H] one (pad_left: its tokens are
// the last ones). `tokens`: each input's token count (Pipeline::token_counts; read only for unpooled
// tensors, its size is the input count otherwise). Error naming `who` when the Output does not have one
// entry per input.
std::vector<Output> split_rows(const Output& out, const std::vector<size_t>& tokens, bool pad_left, const char* who);

// Parts of one batched call, in order (part k's first input is input firsts[k] of the call), as one Output.
Output merge_rows(std::vector<Output>& parts, const std::vector<size_t>& firsts, const char* who);

// What a merged batch asks the pipeline, and each call's row made into what it asked. Only
// feature-extraction's last_token pooling differs: it takes the last position, padding included (as
// Transformers.js), which in a merged batch is not the input's own last token, so the batch asks for
// pooling none and each row is pooled from its own positions.
CallOptions batch_options(const CallOptions& requested);
std::vector<Output> split_batch(const Output& out, const std::vector<size_t>& tokens, bool pad_left,
                                const CallOptions& requested, const char* who);

}  // namespace transformers::pipelines
