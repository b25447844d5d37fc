// Byte offsets of a tokenizer's Encoding turned into character (code point) offsets, as Hugging Face
// Python's pipelines give them. Internal.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace transformers::pipelines {

class CharOffsets {
 public:
  explicit CharOffsets(std::string_view text) {
    chars_before_.resize(text.size() + 1);
    int64_t chars = 0;
    for (size_t i = 0; i < text.size(); ++i) {
      chars_before_[i] = chars;
      if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) ++chars;  // not a continuation byte
    }
    chars_before_[text.size()] = chars;
  }
  // Characters before byte `b` (a byte inside a character counts that character as before it).
  int64_t at(size_t b) const { return chars_before_[b < chars_before_.size() ? b : chars_before_.size() - 1]; }

 private:
  std::vector<int64_t> chars_before_;
};

}  // namespace transformers::pipelines
