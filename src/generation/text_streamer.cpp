#include "generation/text_streamer.hpp"

#include "tokenizers/jinja/jinja_strings.hpp"

namespace transformers::generation {

namespace {
// The code point ending `text` (0 when empty).
uint32_t last_code_point(const std::string& text) {
  if (text.empty()) return 0;
  size_t i = text.size() - 1;
  while (i > 0 && (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) --i;
  char32_t cp = 0;
  jinja::text::decode(text, i, cp);
  return cp;
}

// Transformers.js' is_chinese_char.
bool cjk(uint32_t cp) {
  return (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0x3400 && cp <= 0x4dbf) || (cp >= 0x20000 && cp <= 0x2a6df) ||
         (cp >= 0x2a700 && cp <= 0x2b73f) || (cp >= 0x2b740 && cp <= 0x2b81f) || (cp >= 0x2b820 && cp <= 0x2ceaf) ||
         (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0x2f800 && cp <= 0x2fa1f);
}
}  // namespace

std::string TextStreamer::put(int64_t token) {
  if (tokenizer_.is_special_id(token)) {
    if (skip_special_) return "";
    std::string out = cache_.empty() ? "" : tokenizer_.decode(cache_, skip_special_).substr(printed_);
    cache_.clear();
    printed_ = 0;
    return out + tokenizer_.decode({token}, skip_special_);
  }
  cache_.push_back(token);
  const std::string text = tokenizer_.decode(cache_, skip_special_);
  std::string out;
  if (!text.empty() && text.back() == '\n') {
    out = text.substr(std::min(printed_, text.size()));
    cache_.clear();
    printed_ = 0;
  } else if (cjk(last_code_point(text))) {
    out = text.substr(std::min(printed_, text.size()));
    printed_ = text.size();
  } else {
    const size_t space = text.rfind(' ');
    const size_t until = space == std::string::npos ? 0 : space + 1;
    if (until > printed_) {
      out = text.substr(printed_, until - printed_);
      printed_ = until;
    }
  }
  return out;
}

std::string TextStreamer::end() {
  std::string out;
  if (!cache_.empty()) {
    const std::string text = tokenizer_.decode(cache_, skip_special_);
    out = text.substr(std::min(printed_, text.size()));
  }
  cache_.clear();
  printed_ = 0;
  return out;
}

}  // namespace transformers::generation
