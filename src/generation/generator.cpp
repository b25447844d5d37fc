#include "generation/generator.hpp"

#include <algorithm>
#include <chrono>
#include <random>

#include "generation/beam_search.hpp"
#include "generation/decoder_stepper.hpp"
#include "generation/logits_processors.hpp"
#include "generation/sampler.hpp"
#include "transformers/error.hpp"

namespace transformers::generation {

GenerationOutput generate(const GenerationModel& model, const TokenBatch& input, GenerationConfig config,
                          uint64_t owner, const StepCallback& on_step) {
  const auto start = Clock::now();
  const size_t batch = input.batch;
  if (batch == 0) throw InvalidInputError("generation: no input rows");
  const bool beams = uses_beam_search(config);
  if (!config.do_sample && !beams && config.num_return_sequences > 1)
    throw InvalidInputError("num_return_sequences has to be 1 when doing greedy search, but is " +
                            std::to_string(config.num_return_sequences) + ".");
  if (beams && config.num_return_sequences > config.num_beams)
    throw InvalidInputError("num_return_sequences (" + std::to_string(config.num_return_sequences) +
                            ") must be at most num_beams (" + std::to_string(config.num_beams) + ")");

  // Decoder rows: the prompt (decoder-only) or the decoder start token (encoder-decoder).
  std::vector<std::vector<int64_t>> start_rows(batch);
  if (model.encoder_decoder) {
    const auto start_token = config.decoder_start_token_id ? config.decoder_start_token_id : config.bos_token_id;
    if (!start_token)
      throw ModelLoadError("generation: neither decoder_start_token_id nor bos_token_id is set (config.json, "
                           "generation_config.json or the call)");
    for (auto& row : start_rows) row = {*start_token};
  } else {
    if (input.length == 0)
      throw InvalidInputError("text-generation: the prompt has no tokens (an empty prompt with a tokenizer that adds "
                              "no BOS token gives the model nothing to continue)");
    for (size_t r = 0; r < batch; ++r)
      start_rows[r].assign(input.ids.begin() + static_cast<std::ptrdiff_t>(r * input.length),
                           input.ids.begin() + static_cast<std::ptrdiff_t>((r + 1) * input.length));
  }
  const size_t input_length = start_rows[0].size();
  if (config.max_new_tokens) config.max_length = static_cast<int64_t>(input_length) + *config.max_new_tokens;
  // Transformers.js checks the stopping criteria after a step, so a max_length already reached still gives one token.
  const size_t max_length = std::max<size_t>(static_cast<size_t>(*config.max_length), input_length + 1);
  if (model.position_limit && max_length > model.position_limit)
    throw InvalidInputError("generation would reach position " + std::to_string(max_length) + " (" +
                            std::to_string(input_length) + " input tokens + up to " +
                            std::to_string(max_length - input_length) + " new), but the model has " +
                            std::to_string(model.position_limit) +
                            " positions (config.json max_position_embeddings / n_positions): lower max_new_tokens");
  for (int64_t id : input.ids)
    if (id < 0 || static_cast<size_t>(id) >= model.vocab)
      throw InvalidInputError("generation: input token id " + std::to_string(id) + " is outside the model's vocabulary of " +
                              std::to_string(model.vocab));
  if (beams) return beam_search(model, input, config, std::move(start_rows), max_length, owner);

  GenerationOutput out;
  out.prompt_length = input_length;
  std::vector<std::vector<int64_t>>& ids = out.sequences;
  ids = std::move(start_rows);
  const LogitsProcessors processors(config, input_length, model.vocab);
  std::optional<PyRandom> rng;
  if (config.do_sample) rng.emplace(config.seed ? *config.seed : std::random_device{}());
  DecoderStepper stepper(model, input, 1, max_length, owner);
  const size_t vocab = model.vocab;
  std::vector<int64_t> new_tokens(batch);
  // A row that has produced an eos is finished: its later tokens are the pad token (Python transformers'
  // unfinished_sequences), so every row of a batch gives what it gives alone. Transformers.js 4.3.1 keeps
  // generating for finished rows until all end on an eos at the same step, so its batched outputs can carry
  // text after the end (docs/generation.md). The row still runs through the step and its draws (a seeded
  // sample of the other rows stays Transformers.js').
  std::vector<char> finished(batch, 0);
  const int64_t pad = config.pad_token_id ? *config.pad_token_id
                      : config.eos_token_id && !config.eos_token_id->empty() ? config.eos_token_id->front()
                                                                              : 0;
  for (size_t step = 0;; ++step) {
    const auto step_start = Clock::now();
    float* logits = stepper.step(ids);
    for (size_t r = 0; r < batch; ++r) {
      const std::span<float> row(logits + r * vocab, vocab);
      processors.apply(ids[r], row);
      if (config.do_sample) {
        const TopK top = top_k_softmax(row, static_cast<size_t>(config.top_k));
        size_t chosen = 0;
        // Transformers.js draws num_beams samples per row and keeps the first.
        for (int64_t b = 0; b < std::max<int64_t>(1, config.num_beams); ++b) {
          const size_t k = weighted_index(top.probs, *rng);
          if (b == 0) chosen = k;
        }
        new_tokens[r] = top.ids[chosen];
      } else {
        new_tokens[r] = argmax(row);
      }
      if (finished[r]) new_tokens[r] = pad;
      finished[r] = finished[r] || is_eos(config, new_tokens[r]);
      ids[r].push_back(new_tokens[r]);
    }
    if (step == 0) out.stats.prefill_ms = ms_since(step_start);
    else out.stats.step_ms.push_back(ms_since(step_start));
    out.stats.steps = step + 1;
    if (on_step && !on_step(new_tokens)) {
      out.stats.stopped = true;
      break;
    }
    // Stop when every row is done: finished, or at the maximum length.
    bool all_done = true;
    for (size_t r = 0; r < batch && all_done; ++r) all_done = finished[r] || ids[r].size() >= max_length;
    if (all_done) break;
    if (config.max_time && ms_since(start) >= *config.max_time * 1000.0) {
      out.stats.timed_out = true;
      break;
    }
  }
  // A finished row ends at its eos: the pad tokens fed after it are not part of its answer (a pad that is
  // not a special token, e.g. an eos given in the call's options, would otherwise decode as text).
  for (size_t r = 0; r < batch; ++r) {
    if (!finished[r]) continue;
    for (size_t k = input_length; k < ids[r].size(); ++k) {
      if (is_eos(config, ids[r][k])) {
        ids[r].resize(k + 1);
        break;
      }
    }
  }
  out.stats.cache_bytes = stepper.cache_bytes();
  out.stats.cache_bytes_per_token = stepper.cache_bytes_per_token();
  out.stats.total_ms = ms_since(start);
  return out;
}

}  // namespace transformers::generation
