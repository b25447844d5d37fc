// The generation options every generating task takes (text-generation, text2text-generation, translation,
// summarization), as Transformers.js' GenerationConfig fields. A call's value replaces the model's (config.json,
// then generation_config.json), field by field, as Transformers.js merges them.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "transformers/tasks/fields.hpp"

namespace transformers {

// A generation setting a call may leave to the model (std::nullopt: the default), set to a value, or clear
// (an engaged empty optional: JSON null, e.g. {"forced_eos_token_id": null} removes generation_config.json's).
template <class T>
using Setting = std::optional<std::optional<T>>;
// The "cleared" state of a Setting, for readability: options.forced_eos_token_id = cleared<TokenIdList>().
template <class T>
Setting<T> cleared() {
  return Setting<T>(std::in_place, std::nullopt);
}

// Token ids given as one integer or a list of them (eos_token_id, forced_eos_token_id): the same meaning.
struct TokenIdList {
  std::vector<int64_t> ids;
  TokenIdList() = default;
  TokenIdList(int64_t id) : ids{id} {}  // NOLINT: an integer is a list of one, as in Transformers.js
  TokenIdList(std::vector<int64_t> list) : ids(std::move(list)) {}
  TokenIdList(std::initializer_list<int64_t> list) : ids(list) {}
  bool operator==(const TokenIdList&) const = default;
};

// Beam search's early_stopping: JSON false, true or "never", as Hugging Face transformers takes it.
enum class EarlyStopping { no, yes, never };

struct GenerationOptions {
  // Length. The pipelines' default is max_new_tokens 256, which wins over max_length; max_length counts only
  // with max_new_tokens cleared (null), as in Transformers.js.
  Setting<int> max_new_tokens;
  Setting<int> max_length;
  Setting<int> min_new_tokens;
  Setting<int> min_length;
  // Sampling: off = greedy (ties to the lowest id). temperature 0 with do_sample is greedy.
  Setting<bool> do_sample;
  Setting<double> temperature;
  Setting<int> top_k;       // the sampler's top-k (0 = the whole vocabulary); default 50
  Setting<double> top_p;    // nucleus sampling; Transformers.js 4.3.1 accepts and ignores it (see docs/generation.md)
  // Sampling seed: equal seeds give equal samples (Transformers.js' Python-compatible MT19937 and draw order,
  // as random.seed(seed) before its call). Unset: a fresh seed per call.
  std::optional<uint64_t> seed;
  // Beam search (Transformers.js 4.3.1 has none; semantics of Hugging Face transformers, docs/generation.md).
  Setting<int> num_beams;
  Setting<double> length_penalty;
  Setting<EarlyStopping> early_stopping;
  Setting<int> num_return_sequences;
  // Logits processors.
  Setting<double> repetition_penalty;
  Setting<int> no_repeat_ngram_size;
  Setting<std::vector<std::vector<int64_t>>> bad_words_ids;
  Setting<int64_t> forced_bos_token_id;
  Setting<TokenIdList> forced_eos_token_id;
  Setting<std::vector<int64_t>> suppress_tokens;
  Setting<std::vector<int64_t>> begin_suppress_tokens;
  // Special tokens.
  Setting<TokenIdList> eos_token_id;
  Setting<int64_t> pad_token_id;
  Setting<int64_t> bos_token_id;
  Setting<int64_t> decoder_start_token_id;
  // Stopping beyond Transformers.js: generation ends once the decoded new text of every row contains one of
  // these strings (the text is cut before it), or after max_time seconds (the call returns what it has).
  std::optional<std::vector<std::string>> stop_strings;
  std::optional<double> max_time;

  bool operator==(const GenerationOptions&) const = default;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("max_new_tokens", self.max_new_tokens);
    visit("max_length", self.max_length);
    visit("min_new_tokens", self.min_new_tokens);
    visit("min_length", self.min_length);
    visit("do_sample", self.do_sample);
    visit("temperature", self.temperature);
    visit("top_k", self.top_k);
    visit("top_p", self.top_p);
    visit("seed", self.seed);
    visit("num_beams", self.num_beams);
    visit("length_penalty", self.length_penalty);
    visit("early_stopping", self.early_stopping);
    visit("num_return_sequences", self.num_return_sequences);
    visit("repetition_penalty", self.repetition_penalty);
    visit("no_repeat_ngram_size", self.no_repeat_ngram_size);
    visit("bad_words_ids", self.bad_words_ids);
    visit("forced_bos_token_id", self.forced_bos_token_id);
    visit("forced_eos_token_id", self.forced_eos_token_id);
    visit("suppress_tokens", self.suppress_tokens);
    visit("begin_suppress_tokens", self.begin_suppress_tokens);
    visit("eos_token_id", self.eos_token_id);
    visit("pad_token_id", self.pad_token_id);
    visit("bos_token_id", self.bos_token_id);
    visit("decoder_start_token_id", self.decoder_start_token_id);
    visit("stop_strings", self.stop_strings);
    visit("max_time", self.max_time);
  }
};

// What one generation call measured: Output::generation_stats(). Not part of to_json(), not carried by
// workers.
struct GenerationStats {
  size_t prompt_tokens = 0;  // the longest input's tokens (the decoder-only prompt, the encoder's input)
  size_t steps = 0;  // runs of the decoder = tokens generated per row
  double prefill_ms = 0, total_ms = 0;
  std::vector<double> step_ms;  // every step after the prefill
  uint64_t cache_bytes = 0;            // the key/value cache's buffers at the end of the call
  uint64_t cache_bytes_per_token = 0;  // one position of every cache tensor, whole batch
  bool stopped = false;    // by the stream callback or stop strings, before max length / eos
  bool timed_out = false;  // max_time
};

}  // namespace transformers
