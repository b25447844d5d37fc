// Pre-tokenizers. Supported: BertPreTokenizer.
#include "components.hpp"

namespace transformers::tokenizers {
namespace {

// Transformers.js PUNCTUATION_REGEX: \p{P} plus every ASCII symbol.
inline bool is_bert_punctuation(char32_t c) {
  if (c < 0x80) return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x60) ||
                       (c >= 0x7B && c <= 0x7E);
  return unicode::is_punctuation(c);
}

// text.trim().match(/[^\s PUNCT]+|[PUNCT]/gu): runs of "other" characters, and each punctuation
// character on its own; whitespace separates.
class BertPreTokenizer final : public PreTokenizer {
 public:
  void pre_tokenize(const NormalizedString& s, Range r, std::vector<Range>& words) const override {
    const char32_t* t = s.text.data();
    size_t start = r.begin;
    bool in_word = false;
    for (size_t i = r.begin; i < r.end; ++i) {
      const char32_t c = t[i];
      if (unicode::is_js_whitespace(c)) {
        if (in_word) words.push_back({start, i});
        in_word = false;
      } else if (is_bert_punctuation(c)) {
        if (in_word) words.push_back({start, i});
        in_word = false;
        words.push_back({i, i + 1});
      } else if (!in_word) {
        in_word = true;
        start = i;
      }
    }
    if (in_word) words.push_back({start, r.end});
  }
};

}  // namespace

std::unique_ptr<PreTokenizer> create_pre_tokenizer(const json& config, const JsonSource& source,
                                                   std::string_view component) {
  if (config.is_null()) return nullptr;
  Fields f(config, source, std::string(component));
  const std::string type = f.string("type");
  if (type == "BertPreTokenizer") return std::make_unique<BertPreTokenizer>();
  f.fail("type", "names an unsupported pre-tokenizer \"" + type + "\"");
}

}  // namespace transformers::tokenizers
