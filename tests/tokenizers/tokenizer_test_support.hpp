// Helpers the tokenizer tests share: fixture paths, loading a fixture or an inline tokenizer.json,
// reading golden files.
#pragma once

#include <fstream>
#include <initializer_list>
#include <random>
#include <vector>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "test_support.hpp"
#include "transformers/tokenizer.hpp"

namespace transformers::fixtures {

// tests/fixtures/tokenizers
inline const std::string kTokenizersDir = std::string(TRANSFORMERS_FIXTURES_DIR) + "/tokenizers";

// A committed fixture tokenizer (tokenizer.json + tokenizer_config.json) by folder name.
inline Tokenizer load_tokenizer(const std::string& name) {
  const std::string dir = kTokenizersDir + "/" + name;
  return Tokenizer::from_files(dir + "/tokenizer.json", dir + "/tokenizer_config.json");
}

// A tokenizer from an inline tokenizer.json (and optional tokenizer_config.json text).
inline Tokenizer make_tokenizer(const nlohmann::json& tok, const std::string& config = "") {
  return Tokenizer::from_json(tok.dump(), config);
}

inline nlohmann::json load_json(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  return nlohmann::json::parse(in);
}

// A golden file's array of ids, masks or type ids.
inline std::vector<int64_t> ints_of(const nlohmann::json& j) { return j.get<std::vector<int64_t>>(); }

// tests/fixtures/tokenizers/corpus.json, read once.
inline const nlohmann::json& corpus() {
  static const nlohmann::json c = load_json(kTokenizersDir + "/corpus.json");
  return c;
}
inline const std::string& corpus_text(const nlohmann::json& name) {
  return corpus()["texts"][name.get<std::string>()].get_ref<const std::string&>();
}

// `count` random texts of up to max_len - 1 code points, deterministic for `seed`: one code point in
// `special_every` is drawn from `specials`, the others anywhere below U+30000 (surrogates become 'b').
inline std::vector<std::string> random_texts(uint32_t seed, int count, int max_len,
                                             std::initializer_list<char32_t> specials, int special_every) {
  std::mt19937 rng(seed);
  const std::vector<char32_t> pool(specials);
  std::vector<std::string> texts;
  for (int k = 0; k < count; ++k) {
    std::string u;
    const int n = static_cast<int>(rng() % max_len);
    for (int i = 0; i < n; ++i) {
      char32_t c = (rng() % special_every == 0) ? pool[rng() % pool.size()] : static_cast<char32_t>(rng() % 0x30000);
      if (c >= 0xD800 && c <= 0xDFFF) c = U'b';
      if (c < 0x80) {
        u += static_cast<char>(c);
      } else if (c < 0x800) {
        u += static_cast<char>(0xC0 | (c >> 6));
        u += static_cast<char>(0x80 | (c & 0x3F));
      } else if (c < 0x10000) {
        u += static_cast<char>(0xE0 | (c >> 12));
        u += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
        u += static_cast<char>(0x80 | (c & 0x3F));
      } else {
        u += static_cast<char>(0xF0 | (c >> 18));
        u += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
        u += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
        u += static_cast<char>(0x80 | (c & 0x3F));
      }
    }
    texts.push_back(std::move(u));
  }
  return texts;
}

}  // namespace transformers::fixtures
