// Pre-tokenizers. Supported: BertPreTokenizer, Sequence; Metaspace (sentencepiece.cpp, not inside a Sequence); ByteLevel (byte_level.cpp), Split (split.cpp).
#include <string>

#include "bpe_family.hpp"
#include "components.hpp"
#include "sentencepiece_family.hpp"

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

// Each pre-tokenizer splits the words of the one before (Transformers.js PreTokenizerSequence).
class SequencePreTokenizer final : public PreTokenizer {
 public:
  SequencePreTokenizer(const Fields& f) {
    const json& list = f.array("pretokenizers");
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string where = "pretokenizers[" + std::to_string(i) + "]";
      if (!items_.empty() && items_.back()->byte_level())
        f.fail(where, "follows a ByteLevel pre-tokenizer, which is supported only as the last one");
      auto p = create_pre_tokenizer(list[i], f.source(), f.component() + " " + where);
      if (p && p->rewrites()) f.fail(where, "is a Metaspace pre-tokenizer, which is not supported inside a Sequence yet");
      if (p) items_.push_back(std::move(p));
    }
  }

  bool byte_level() const override { return !items_.empty() && items_.back()->byte_level(); }

  void pre_tokenize(const NormalizedString& s, Range r, std::vector<Range>& words) const override {
    std::vector<Range> cur{r}, next;
    for (const auto& p : items_) {
      next.clear();
      for (const Range& w : cur) p->pre_tokenize(s, w, next);
      cur.swap(next);
    }
    words.insert(words.end(), cur.begin(), cur.end());
  }

 private:
  std::vector<std::unique_ptr<PreTokenizer>> items_;
};

}  // namespace

std::unique_ptr<PreTokenizer> create_pre_tokenizer(const json& config, const JsonSource& source,
                                                   std::string_view component) {
  if (config.is_null()) return nullptr;
  Fields f(config, source, std::string(component));
  const std::string type = f.string("type");
  if (type == "BertPreTokenizer") return std::make_unique<BertPreTokenizer>();
  Fields typed(config, source, std::string(component) + " (" + type + ")");
  if (type == "ByteLevel") return make_byte_level_pre_tokenizer(typed);
  if (type == "Split") return make_split_pre_tokenizer(typed);
  if (type == "Metaspace") return make_metaspace_pre_tokenizer(typed);
  if (type == "Sequence") return std::make_unique<SequencePreTokenizer>(typed);
  f.fail("type", "names an unsupported pre-tokenizer \"" + type + "\"");
}

}  // namespace transformers::tokenizers
