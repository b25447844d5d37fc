#include "generation/logits_processors.hpp"

#include <algorithm>
#include <limits>
#include <string>
#include <unordered_set>

#include "transformers/error.hpp"

namespace transformers::generation {

namespace {
constexpr float kNegInf = -std::numeric_limits<float>::infinity();

void check_ids(const std::vector<int64_t>& ids, size_t vocab, const char* option) {
  for (int64_t id : ids)
    if (id < 0 || static_cast<size_t>(id) >= vocab)
      throw InvalidInputError(std::string("generation option ") + option + ": token id " + std::to_string(id) +
                              " is outside the model's vocabulary of " + std::to_string(vocab));
}

// The tokens no_repeat_ngram_size bans: the last token of every earlier n-gram whose first n-1 tokens equal
// the sequence's last n-1.
void ban_repeated_ngrams(std::span<const int64_t> ids, size_t n, std::span<float> logits) {
  if (ids.size() + 1 < n) return;
  const size_t prefix = n - 1;
  const std::span<const int64_t> tail = ids.subspan(ids.size() + 1 - n, prefix);
  for (size_t j = 0; j + n <= ids.size(); ++j) {
    if (std::equal(tail.begin(), tail.end(), ids.begin() + static_cast<std::ptrdiff_t>(j)))
      logits[static_cast<size_t>(ids[j + prefix])] = kNegInf;
  }
}
}  // namespace

LogitsProcessors::LogitsProcessors(const GenerationConfig& config, size_t input_length, size_t vocab)
    : config_(config), input_length_(input_length) {
  if (config.bad_words_ids)
    for (const auto& w : *config.bad_words_ids) check_ids(w, vocab, "bad_words_ids");
  if (config.forced_bos_token_id) check_ids({*config.forced_bos_token_id}, vocab, "forced_bos_token_id");
  if (config.forced_eos_token_id) check_ids(*config.forced_eos_token_id, vocab, "forced_eos_token_id");
  if (config.suppress_tokens) check_ids(*config.suppress_tokens, vocab, "suppress_tokens");
  if (config.begin_suppress_tokens) check_ids(*config.begin_suppress_tokens, vocab, "begin_suppress_tokens");
  if (config.eos_token_id) check_ids(*config.eos_token_id, vocab, "eos_token_id");
  // As Transformers.js: with a forced BOS on a one-token input, the suppression moves one step later.
  begin_index_ = input_length > 1 || !config.forced_bos_token_id ? input_length : input_length + 1;
}

void LogitsProcessors::apply(std::span<const int64_t> ids, std::span<float> logits) const {
  const GenerationConfig& c = config_;
  if (c.repetition_penalty != 1.0) {
    std::unordered_set<int64_t> seen;
    for (int64_t id : ids) {
      if (!seen.insert(id).second) continue;
      float& x = logits[static_cast<size_t>(id)];
      x = static_cast<float>(x < 0 ? x * c.repetition_penalty : x / c.repetition_penalty);
    }
  }
  if (c.no_repeat_ngram_size > 0) ban_repeated_ngrams(ids, static_cast<size_t>(c.no_repeat_ngram_size), logits);
  if (c.bad_words_ids) {
    for (const auto& word : *c.bad_words_ids) {
      if (ids.size() + 1 < word.size()) continue;
      // The word's tokens before its last must end the sequence.
      if (std::equal(word.begin(), word.end() - 1, ids.end() - static_cast<std::ptrdiff_t>(word.size() - 1)))
        logits[static_cast<size_t>(word.back())] = kNegInf;
    }
  }
  if (c.eos_token_id) {
    const bool below_min_length = c.min_length > 0 && static_cast<int64_t>(ids.size()) < c.min_length;
    const bool below_min_new = c.min_new_tokens && *c.min_new_tokens > 0 &&
                               static_cast<int64_t>(ids.size()) - static_cast<int64_t>(input_length_) < *c.min_new_tokens;
    // Two processors in Transformers.js, each setting eos to -inf: applying it once is the same.
    if (below_min_length || below_min_new)
      for (int64_t eos : *c.eos_token_id) logits[static_cast<size_t>(eos)] = kNegInf;
  }
  if (c.forced_bos_token_id && ids.size() == 1) {
    std::fill(logits.begin(), logits.end(), kNegInf);
    logits[static_cast<size_t>(*c.forced_bos_token_id)] = 0.0f;
  }
  if (c.forced_eos_token_id && c.max_length && static_cast<int64_t>(ids.size()) == *c.max_length - 1) {
    std::fill(logits.begin(), logits.end(), kNegInf);
    for (int64_t eos : *c.forced_eos_token_id) logits[static_cast<size_t>(eos)] = 0.0f;
  }
  if (c.suppress_tokens)
    for (int64_t id : *c.suppress_tokens) logits[static_cast<size_t>(id)] = kNegInf;
  if (c.begin_suppress_tokens && ids.size() == begin_index_)
    for (int64_t id : *c.begin_suppress_tokens) logits[static_cast<size_t>(id)] = kNegInf;
  if (c.do_sample && c.temperature != 1.0 && c.temperature != 0.0)
    for (float& x : logits) x = static_cast<float>(x / c.temperature);
}

}  // namespace transformers::generation
