// A generation call's settings, resolved as Transformers.js resolves them: GenerationConfig's defaults, then
// the fields of config.json it knows (its decoder/generator/text_config objects merged in first), then every
// field of generation_config.json, then the pipeline's default (max_new_tokens 256), then the call's options.
// Internal.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "transformers/tasks/generation_options.hpp"

namespace transformers::generation {

struct GenerationConfig {
  std::optional<int64_t> max_length = 20;
  std::optional<int64_t> max_new_tokens;
  int64_t min_length = 0;
  std::optional<int64_t> min_new_tokens;
  bool do_sample = false;
  double temperature = 1.0;
  int64_t top_k = 50;
  double top_p = 1.0;
  std::optional<uint64_t> seed;
  int64_t num_beams = 1;
  double length_penalty = 1.0;
  bool early_stopping = false;
  bool early_stopping_never = false;  // early_stopping "never"
  int64_t num_return_sequences = 1;
  double repetition_penalty = 1.0;
  int64_t no_repeat_ngram_size = 0;
  std::optional<std::vector<std::vector<int64_t>>> bad_words_ids;
  std::optional<int64_t> forced_bos_token_id;
  std::optional<std::vector<int64_t>> forced_eos_token_id;
  std::optional<std::vector<int64_t>> suppress_tokens;
  std::optional<std::vector<int64_t>> begin_suppress_tokens;
  std::optional<std::vector<int64_t>> eos_token_id;
  std::optional<int64_t> pad_token_id;
  std::optional<int64_t> bos_token_id;
  std::optional<int64_t> decoder_start_token_id;
  std::vector<std::string> stop_strings;
  std::optional<double> max_time;
};

// The model's part, read once at load: config.json's object and generation_config.json's (null: absent).
// ModelLoadError naming the file (its label) and the field for a value of the wrong type.
GenerationConfig model_generation_config(nlohmann::json config, const nlohmann::json* generation_config,
                                         const std::string& config_label, const std::string& generation_label);
// The same from the files' text (generation_config empty = absent).
GenerationConfig model_generation_config_from_text(std::string_view config_json, std::string_view generation_config_json,
                                                   const std::string& config_label = "config.json",
                                                   const std::string& generation_label = "generation_config.json");
// The call's part over the model's (a Setting left unset keeps the model's value, a cleared one removes it),
// after the pipeline's default max_new_tokens. InvalidInputError naming an option out of its range.
// temperature 0 with do_sample becomes greedy here, as Transformers.js decides it (with a warning).
GenerationConfig with_call_options(GenerationConfig config, const GenerationOptions& options,
                                   std::optional<int64_t> pipeline_max_new_tokens = 256);

// Beam search runs for num_beams > 1 without sampling (sampling with beams is Transformers.js' sampler).
inline bool uses_beam_search(const GenerationConfig& c) { return c.num_beams > 1 && !c.do_sample; }
// Whether `token` is one of the eos ids.
inline bool is_eos(const GenerationConfig& c, int64_t token) {
  if (c.eos_token_id)
    for (int64_t e : *c.eos_token_id)
      if (e == token) return true;
  return false;
}

}  // namespace transformers::generation
