// Newly decodable text after every generated token, as Transformers.js' TextStreamer decides it (skip_prompt,
// skip_special_tokens): the tokens since the last flush are decoded together; text up to a newline is
// flushed, a trailing CJK character is printed, otherwise only up to the last space (a word may still change
// with the next token). So a piece never ends inside a UTF-8 sequence that byte-level BPE has not finished.
// Internal.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "transformers/tokenizer.hpp"

namespace transformers::generation {

class TextStreamer {
 public:
  explicit TextStreamer(const Tokenizer& tokenizer, bool skip_special_tokens = true)
      : tokenizer_(tokenizer), skip_special_(skip_special_tokens) {}
  // The text a new token makes printable ("" if none yet).
  std::string put(int64_t token);
  // What remains when generation ends.
  std::string end();

 private:
  const Tokenizer& tokenizer_;
  bool skip_special_;
  std::vector<int64_t> cache_;
  size_t printed_ = 0;  // bytes of the cache's decoded text already given out
};

}  // namespace transformers::generation
