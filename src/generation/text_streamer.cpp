#include "generation/text_streamer.hpp"

namespace transformers::generation {

namespace {
// The code point ending `text` (0 when empty or not valid UTF-8 there).
uint32_t last_code_point(const std::string& text) {
  if (text.empty()) return 0;
  size_t i = text.size() - 1;
  while (i > 0 && (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) --i;
  const auto* p = reinterpret_cast<const unsigned char*>(text.data() + i);
  const size_t n = text.size() - i;
  if (n == 1) return p[0];
  if (n == 2) return (p[0] & 0x1Fu) << 6 | (p[1] & 0x3Fu);
  if (n == 3) return (p[0] & 0x0Fu) << 12 | (p[1] & 0x3Fu) << 6 | (p[2] & 0x3Fu);
  if (n == 4) return (p[0] & 0x07u) << 18 | (p[1] & 0x3Fu) << 12 | (p[2] & 0x3Fu) << 6 | (p[3] & 0x3Fu);
  return 0;
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
