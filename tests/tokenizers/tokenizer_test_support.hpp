// Helpers the tokenizer tests share: fixture paths, loading a fixture or an inline tokenizer.json,
// reading golden files.
#pragma once

#include <fstream>
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

// tests/fixtures/tokenizers/corpus.json, read once.
inline const nlohmann::json& corpus() {
  static const nlohmann::json c = load_json(kTokenizersDir + "/corpus.json");
  return c;
}
inline const std::string& corpus_text(const nlohmann::json& name) {
  return corpus()["texts"][name.get<std::string>()].get_ref<const std::string&>();
}

}  // namespace transformers::fixtures
