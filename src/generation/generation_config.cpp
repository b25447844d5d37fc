#include "generation/generation_config.hpp"

#include <climits>
#include <cmath>
#include <nlohmann/json.hpp>

#include "core/json_fields.hpp"
#include "transformers/error.hpp"

namespace transformers::generation {

namespace {

using Json = nlohmann::json;

struct Reader {
  std::string file;
  [[noreturn]] void fail(const std::string& key, const Json& v, const char* want) const {
    throw ModelLoadError(file + ": field '" + key + "' must be " + want + ", got " +
                         v.dump(-1, ' ', false, Json::error_handler_t::replace));
  }
  int64_t integer(const std::string& key, const Json& v) const {
    if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) fail(key, v, "an integer below 2^63");
    if (v.is_number_integer()) return v.get<int64_t>();
    // Python writes whole floats (2.0) in some configs; Transformers.js uses the number as it is. Only
    // within int64's range (fuzz_generation_config found 2.04e27 cast to int64: undefined behaviour).
    if (v.is_number_float()) {
      const double d = v.get<double>();
      if (std::floor(d) == d && d >= -9.2e18 && d <= 9.2e18) return static_cast<int64_t>(d);
    }
    fail(key, v, "an integer");
  }
  double number(const std::string& key, const Json& v) const {
    if (!v.is_number()) fail(key, v, "a number");
    return v.get<double>();
  }
  bool boolean(const std::string& key, const Json& v) const {
    if (!v.is_boolean()) fail(key, v, "a boolean");
    return v.get<bool>();
  }
  std::vector<int64_t> ids(const std::string& key, const Json& v) const {  // an integer or a list of them
    if (v.is_number()) return {integer(key, v)};
    if (!v.is_array()) fail(key, v, "an integer or a list of integers");
    std::vector<int64_t> out;
    for (const auto& e : v) {
      if (!e.is_number()) fail(key, v, "a list of integers");
      out.push_back(integer(key, e));
    }
    return out;
  }
  std::vector<std::vector<int64_t>> id_lists(const std::string& key, const Json& v) const {
    if (!v.is_array()) fail(key, v, "a list of lists of integers");
    std::vector<std::vector<int64_t>> out;
    for (const auto& e : v) {
      if (!e.is_array()) fail(key, v, "a list of lists of integers");
      out.push_back(ids(key, e));
    }
    return out;
  }
};

// Assigns the fields of `object` GenerationConfig knows; null clears optional ones and resets the others to
// their defaults (Transformers.js then skips the processor, which is the default's meaning), except top_k,
// whose null means the whole vocabulary.
void assign(GenerationConfig& g, const Json& object, const Reader& r) {
  const GenerationConfig defaults;
  for (auto it = object.begin(); it != object.end(); ++it) {
    const std::string& k = it.key();
    const Json& v = it.value();
    const bool null = v.is_null();
    auto opt_int = [&](std::optional<int64_t>& f) { f = null ? std::nullopt : std::optional(r.integer(k, v)); };
    auto opt_ids = [&](std::optional<std::vector<int64_t>>& f) { f = null ? std::nullopt : std::optional(r.ids(k, v)); };
    if (k == "max_length") opt_int(g.max_length);
    else if (k == "max_new_tokens") opt_int(g.max_new_tokens);
    else if (k == "min_length") g.min_length = null ? defaults.min_length : r.integer(k, v);
    else if (k == "min_new_tokens") opt_int(g.min_new_tokens);
    else if (k == "do_sample") g.do_sample = null ? false : r.boolean(k, v);
    else if (k == "temperature") g.temperature = null ? defaults.temperature : r.number(k, v);
    else if (k == "top_k") g.top_k = null ? 0 : r.integer(k, v);
    else if (k == "top_p") g.top_p = null ? defaults.top_p : r.number(k, v);
    else if (k == "num_beams") g.num_beams = null ? 1 : r.integer(k, v);
    else if (k == "length_penalty") g.length_penalty = null ? defaults.length_penalty : r.number(k, v);
    else if (k == "early_stopping") {
      g.early_stopping_never = v.is_string() && v.get<std::string>() == "never";
      g.early_stopping = !null && !g.early_stopping_never && r.boolean(k, v);
    }
    else if (k == "num_return_sequences") g.num_return_sequences = null ? 1 : r.integer(k, v);
    else if (k == "repetition_penalty") g.repetition_penalty = null ? 1.0 : r.number(k, v);
    else if (k == "no_repeat_ngram_size") g.no_repeat_ngram_size = null ? 0 : r.integer(k, v);
    else if (k == "bad_words_ids") g.bad_words_ids = null ? std::nullopt : std::optional(r.id_lists(k, v));
    else if (k == "forced_bos_token_id") opt_int(g.forced_bos_token_id);
    else if (k == "forced_eos_token_id") opt_ids(g.forced_eos_token_id);
    else if (k == "suppress_tokens") opt_ids(g.suppress_tokens);
    else if (k == "begin_suppress_tokens") opt_ids(g.begin_suppress_tokens);
    else if (k == "eos_token_id") opt_ids(g.eos_token_id);
    else if (k == "pad_token_id") opt_int(g.pad_token_id);
    else if (k == "bos_token_id") opt_int(g.bos_token_id);
    else if (k == "decoder_start_token_id") opt_int(g.decoder_start_token_id);
    // Other fields (transformers_version, task_specific_params, ...) do not change generation.
  }
}

template <class T, class F>
void take(const Setting<T>& s, F&& set) {
  if (s) set(*s);
}

void check_range(bool ok, const std::string& what) {
  if (!ok) throw InvalidInputError("generation option " + what);
}

}  // namespace

GenerationConfig model_generation_config(nlohmann::json config, const nlohmann::json* generation_config,
                                         const std::string& config_label, const std::string& generation_label) {
  GenerationConfig g;
  // As Transformers.js: a decoder/generator/text_config object's fields count as the model's own. assign()
  // reads only GenerationConfig's fields, as its constructor picks them from config.json.
  for (const char* sub : {"decoder", "generator", "text_config"})
    if (config.contains(sub) && config[sub].is_object()) config.update(config[sub]);
  assign(g, config, Reader{config_label});
  if (generation_config) assign(g, *generation_config, Reader{generation_label});
  return g;
}

GenerationConfig model_generation_config_from_text(std::string_view config_text, std::string_view generation_text,
                                                   const std::string& config_label, const std::string& generation_label) {
  const Json config = core::parse_json(config_text, core::JsonSource(config_label));
  if (generation_text.empty()) return model_generation_config(config, nullptr, config_label, generation_label);
  const Json generation = core::parse_json(generation_text, core::JsonSource(generation_label));
  return model_generation_config(config, &generation, config_label, generation_label);
}

GenerationConfig with_call_options(GenerationConfig g, const GenerationOptions& o,
                                   std::optional<int64_t> pipeline_max_new_tokens) {
  if (pipeline_max_new_tokens) g.max_new_tokens = pipeline_max_new_tokens;
  auto opt = [](auto& field) { return [&field](const auto& v) { field = v ? std::optional(*v) : std::nullopt; }; };
  take(o.max_new_tokens, opt(g.max_new_tokens));
  take(o.max_length, opt(g.max_length));
  take(o.min_new_tokens, opt(g.min_new_tokens));
  take(o.min_length, [&](const auto& v) { g.min_length = v.value_or(0); });
  take(o.do_sample, [&](const auto& v) { g.do_sample = v.value_or(false); });
  take(o.temperature, [&](const auto& v) { g.temperature = v.value_or(1.0); });
  take(o.top_k, [&](const auto& v) { g.top_k = v.value_or(0); });
  take(o.top_p, [&](const auto& v) { g.top_p = v.value_or(1.0); });
  take(o.num_beams, [&](const auto& v) { g.num_beams = v.value_or(1); });
  take(o.length_penalty, [&](const auto& v) { g.length_penalty = v.value_or(1.0); });
  take(o.early_stopping, [&](const auto& v) {
    g.early_stopping = v == EarlyStopping::yes;
    g.early_stopping_never = v == EarlyStopping::never;
  });
  take(o.num_return_sequences, [&](const auto& v) { g.num_return_sequences = v.value_or(1); });
  take(o.repetition_penalty, [&](const auto& v) { g.repetition_penalty = v.value_or(1.0); });
  take(o.no_repeat_ngram_size, [&](const auto& v) { g.no_repeat_ngram_size = v.value_or(0); });
  take(o.bad_words_ids, opt(g.bad_words_ids));
  take(o.forced_bos_token_id, opt(g.forced_bos_token_id));
  take(o.forced_eos_token_id, [&](const auto& v) { g.forced_eos_token_id = v ? std::optional(v->ids) : std::nullopt; });
  take(o.suppress_tokens, opt(g.suppress_tokens));
  take(o.begin_suppress_tokens, opt(g.begin_suppress_tokens));
  take(o.eos_token_id, [&](const auto& v) { g.eos_token_id = v ? std::optional(v->ids) : std::nullopt; });
  take(o.pad_token_id, opt(g.pad_token_id));
  take(o.bos_token_id, opt(g.bos_token_id));
  take(o.decoder_start_token_id, opt(g.decoder_start_token_id));
  if (g.temperature == 0.0 && g.do_sample) g.do_sample = false;  // Transformers.js: greedy
  g.seed = o.seed;
  if (o.stop_strings) g.stop_strings = *o.stop_strings;
  g.max_time = o.max_time;

  // Ranges Transformers.js would fail on later (or silently misbehave with), named here.
  check_range(!g.max_new_tokens || *g.max_new_tokens >= 0, "max_new_tokens must be >= 0, got " + std::to_string(g.max_new_tokens.value_or(0)));
  check_range(!g.max_length || *g.max_length >= 0, "max_length must be >= 0");
  check_range(g.max_new_tokens || g.max_length, "max_new_tokens and max_length are both null: generation would never stop");
  check_range(g.num_beams >= 1, "num_beams must be >= 1, got " + std::to_string(g.num_beams));
  check_range(g.num_return_sequences >= 1, "num_return_sequences must be >= 1, got " + std::to_string(g.num_return_sequences));
  check_range(g.top_k >= 0, "top_k must be >= 0, got " + std::to_string(g.top_k));
  check_range(g.top_p >= 0.0 && g.top_p <= 1.0, "top_p must be in [0, 1]");
  check_range(g.temperature >= 0.0 && std::isfinite(g.temperature), "temperature must be a finite number >= 0");
  check_range(g.repetition_penalty > 0.0 && std::isfinite(g.repetition_penalty), "repetition_penalty must be > 0");
  check_range(g.no_repeat_ngram_size >= 0, "no_repeat_ngram_size must be >= 0");
  check_range(!g.max_time || *g.max_time > 0.0, "max_time must be > 0 seconds");
  for (const auto& s : g.stop_strings) check_range(!s.empty(), "stop_strings must not contain an empty string");
  if (g.bad_words_ids)
    for (const auto& w : *g.bad_words_ids) check_range(!w.empty(), "bad_words_ids must not contain an empty list");
  return g;
}

}  // namespace transformers::generation
