// Pre-tokenizers. Supported: BertPreTokenizer, Sequence, WhitespaceSplit; Metaspace (sentencepiece.cpp);
// ByteLevel (byte_level.cpp); Split (split.cpp); Whitespace, Punctuation, Digits, CharDelimiterSplit,
// UnicodeScripts (splitters.cpp).
#include <string>

#include "bpe_family.hpp"
#include "components.hpp"
#include "sentencepiece_family.hpp"
#include "splitters.hpp"

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
      if (p && p->rewrites() && dynamic_cast<SequencePreTokenizer*>(p.get()))
        f.fail(where, "is a Sequence holding a Metaspace, which is not supported inside a Sequence");
      if (p && p->rewrites()) rewrites_ = true;
      if (p) items_.push_back(std::move(p));
    }
  }

  bool byte_level() const override { return !items_.empty() && items_.back()->byte_level(); }

  bool rewrites() const override { return rewrites_; }

  // With a Metaspace inside: each word reaching it is rewritten on its own and the words are laid
  // end to end in a new text; pre_tokenize then hands out the words kept here.
  void rewrite(NormalizedString& s, bool first_section) const override {
    std::vector<Range> cur{Range{0, s.size()}}, next;
    NormalizedString word;
    for (const auto& p : items_) {
      next.clear();
      if (p->rewrites()) {
        NormalizedString out;
        for (const Range& w : cur) {
          word.text.assign(s.text, w.begin, w.size());
          word.align.assign(s.align.begin() + static_cast<std::ptrdiff_t>(w.begin),
                            s.align.begin() + static_cast<std::ptrdiff_t>(w.end));
          p->rewrite(word, first_section);
          const size_t begin = out.size();
          out.text += word.text;
          out.align.insert(out.align.end(), word.align.begin(), word.align.end());
          next.push_back({begin, out.size()});
        }
        s = std::move(out);
      } else {
        for (const Range& w : cur) p->pre_tokenize(s, w, next);
      }
      cur.swap(next);
    }
    t_rewritten_words_ = cur;
  }

  void pre_tokenize(const NormalizedString& s, Range r, std::vector<Range>& words) const override {
    if (rewrites_) {  // rewrite() ran just before on this thread
      words.insert(words.end(), t_rewritten_words_.begin(), t_rewritten_words_.end());
      return;
    }
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
  bool rewrites_ = false;
  static thread_local std::vector<Range> t_rewritten_words_;
};

thread_local std::vector<Range> SequencePreTokenizer::t_rewritten_words_;

// text.match(/\S+/g): runs of characters that are not JavaScript whitespace.
class WhitespaceSplit final : public PreTokenizer {
 public:
  void pre_tokenize(const NormalizedString& s, Range r, std::vector<Range>& words) const override {
    size_t start = r.begin;
    bool in_word = false;
    for (size_t i = r.begin; i < r.end; ++i) {
      if (unicode::is_js_whitespace(s.text[i])) {
        if (in_word) words.push_back({start, i});
        in_word = false;
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
  Fields typed(config, source, std::string(component) + " (" + type + ")");
  if (type == "ByteLevel") return make_byte_level_pre_tokenizer(typed);
  if (type == "Split") return make_split_pre_tokenizer(typed);
  if (type == "Metaspace") return make_metaspace_pre_tokenizer(typed);
  if (type == "WhitespaceSplit") return std::make_unique<WhitespaceSplit>();
  if (type == "Sequence") return std::make_unique<SequencePreTokenizer>(typed);
  if (auto p = make_splitter_pre_tokenizer(type, typed)) return p;
  f.fail("type", "names an unsupported pre-tokenizer \"" + type + "\"");
}

}  // namespace transformers::tokenizers
