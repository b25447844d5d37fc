#include "generation/decoder_stepper.hpp"

#include <algorithm>
#include <cstring>

#include "transformers/error.hpp"

namespace transformers::generation {

namespace {
// Rows of a [rows, width] buffer, each repeated `copies` times.
template <class T>
std::vector<T> repeat_rows(const std::vector<T>& v, size_t rows, size_t copies) {
  if (copies == 1) return v;
  const size_t width = rows ? v.size() / rows : 0;
  std::vector<T> out;
  out.reserve(v.size() * copies);
  for (size_t r = 0; r < rows; ++r)
    for (size_t c = 0; c < copies; ++c)
      out.insert(out.end(), v.begin() + static_cast<std::ptrdiff_t>(r * width), v.begin() + static_cast<std::ptrdiff_t>((r + 1) * width));
  return out;
}
}  // namespace

DecoderStepper::DecoderStepper(const GenerationModel& model, const TokenBatch& input, size_t copies, size_t max_length,
                               uint64_t owner)
    : model_(model),
      input_(input),
      copies_(copies),
      rows_(input.batch * copies),
      cache_(model.self_cache, input.batch * copies, owner, max_length),
      cross_(model.cross_cache, input.batch * copies, owner, input.length),
      owner_(owner) {
  if (model.encoder_decoder) {
    const std::vector<int64_t> dims = {static_cast<int64_t>(input.batch), static_cast<int64_t>(input.length)};
    const size_t bytes = input.ids.size() * sizeof(int64_t);
    std::vector<int64_t> zeros;
    std::vector<InputTensor> in = {{"input_ids", ElementType::int64, dims, input.ids.data(), bytes}};
    if (model.encoder->has_input("attention_mask"))
      in.push_back({"attention_mask", ElementType::int64, dims, input.mask.data(), bytes});
    if (model.encoder_token_type_ids) {
      zeros.assign(input.ids.size(), 0);
      in.push_back({"token_type_ids", ElementType::int64, dims, zeros.data(), bytes});
    }
    encoder_out_ = model.encoder->run(in, {"last_hidden_state"});
    OutputTensor& h = encoder_out_[0];
    h.data = repeat_rows(h.data, input.batch, copies);
    if (!h.dims.empty()) h.dims[0] = static_cast<int64_t>(rows_);
    encoder_mask_ = repeat_rows(input.mask, input.batch, copies);
  } else {
    mask_.reserve(rows_ * (max_length + 1));
    mask_ = repeat_rows(input.mask, input.batch, copies);
  }
}

float* DecoderStepper::step(const std::vector<std::vector<int64_t>>& ids) {
  const bool first = steps_++ == 0;
  const size_t rows = rows_, vocab = model_.vocab;
  const size_t past = cache_.length();
  const size_t seq = first && !model_.encoder_decoder ? input_.length : 1;
  step_ids_.resize(rows * seq);
  for (size_t r = 0; r < rows; ++r)
    std::copy(ids[r].end() - static_cast<std::ptrdiff_t>(seq), ids[r].end(), step_ids_.begin() + static_cast<std::ptrdiff_t>(r * seq));
  const std::vector<int64_t> ids_dims = {static_cast<int64_t>(rows), static_cast<int64_t>(seq)};
  std::vector<InputTensor> inputs;
  std::vector<OutputBuffer> outputs;
  inputs.push_back({"input_ids", ElementType::int64, ids_dims, step_ids_.data(), step_ids_.size() * sizeof(int64_t)});
  const size_t total = past + seq;
  static const uint8_t kCacheBranch[2] = {0, 1};
  static const int64_t kLogitsToKeep = 1;
  if (!model_.encoder_decoder) {
    if (!first) {  // append a 1 to every row of the [rows, total - 1] mask, in place
      mask_.resize(rows * total);
      for (size_t r = rows; r-- > 0;) {
        std::memmove(&mask_[r * total], &mask_[r * (total - 1)], (total - 1) * sizeof(int64_t));
        mask_[r * total + total - 1] = 1;
      }
    }
    if (model_.attention_mask)
      inputs.push_back({"attention_mask", ElementType::int64, {static_cast<int64_t>(rows), static_cast<int64_t>(total)},
                        mask_.data(), mask_.size() * sizeof(int64_t)});
    if (model_.position_ids) {  // Transformers.js: cumsum(mask) - 1, and 1 where the mask is 0
      positions_.resize(rows * seq);
      for (size_t r = 0; r < rows; ++r) {
        int64_t running = 0;
        for (size_t k = 0; k < total; ++k) {
          running += mask_[r * total + k];
          if (k >= total - seq) positions_[r * seq + (k - (total - seq))] = mask_[r * total + k] == 0 ? 1 : running - 1;
        }
      }
      inputs.push_back({"position_ids", ElementType::int64, ids_dims, positions_.data(), positions_.size() * sizeof(int64_t)});
    }
  } else {
    const OutputTensor& hidden = encoder_out_[0];
    inputs.push_back({"encoder_hidden_states", ElementType::float32, hidden.dims, hidden.data.data(),
                      hidden.data.size() * sizeof(float)});
    if (model_.encoder_attention_mask)
      inputs.push_back({"encoder_attention_mask", ElementType::int64,
                        {static_cast<int64_t>(rows), static_cast<int64_t>(input_.length)}, encoder_mask_.data(),
                        encoder_mask_.size() * sizeof(int64_t)});
    if (model_.use_cache_branch)
      inputs.push_back({"use_cache_branch", ElementType::boolean, {1}, &kCacheBranch[first ? 0 : 1], 1});
  }
  if (model_.num_logits_to_keep) inputs.push_back({"num_logits_to_keep", ElementType::int64, {}, &kLogitsToKeep, sizeof(int64_t)});
  cache_.bind(inputs, outputs, seq);
  std::vector<OutputBuffer> unused;  // the with-past branch's encoder presents: the first step's are kept
  if (model_.encoder_decoder) cross_.bind(inputs, first ? outputs : unused, first ? input_.length : 0);
  // Logits [rows, positions, vocab]: the prefill's buffer is freed after it, a step's is reused.
  const size_t positions = model_.num_logits_to_keep ? 1 : seq;
  OwnedBuffer& buffer = first ? prefill_logits_ : step_logits_;
  if (!buffer.data()) buffer = OwnedBuffer(rows * positions * vocab * sizeof(float), owner_, "logits buffer");
  outputs.push_back({"logits", ElementType::float32,
                     {static_cast<int64_t>(rows), static_cast<int64_t>(positions), static_cast<int64_t>(vocab)},
                     buffer.data(), buffer.bytes()});
  model_.decoder->run_into(inputs, outputs);
  cache_.advance(seq);
  if (model_.encoder_decoder && first) cross_.advance(input_.length);
  if (positions == 1) return buffer.as<float>();
  // The prefill's last positions, row after row (a copy of rows x vocab floats, once per call).
  last_.resize(rows * vocab);
  for (size_t r = 0; r < rows; ++r)
    std::memcpy(&last_[r * vocab], buffer.as<float>() + (r * positions + positions - 1) * vocab, vocab * sizeof(float));
  prefill_logits_ = OwnedBuffer();
  return last_.data();
}

}  // namespace transformers::generation
