// Character-class pre-tokenizers: Whitespace, Punctuation, Digits (as Transformers.js 4.3.1 has
// them) and CharDelimiterSplit, UnicodeScripts (which Transformers.js lacks: as Python tokenizers).
#include <algorithm>
#include <cstdint>
#include <string>

#include "components.hpp"
#include "splitters.hpp"

namespace transformers::tokenizers {
namespace {

// Transformers.js PUNCTUATION_REGEX: \p{P} plus every ASCII symbol.
inline bool is_punct(char32_t c) {
  if (c < 0x80) return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x60) ||
                       (c >= 0x7B && c <= 0x7E);
  return unicode::is_punctuation(c);
}
inline bool is_ascii_word(char32_t c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}
inline bool is_ascii_digit(char32_t c) { return c >= '0' && c <= '9'; }

// Maximal runs of characters of one class; class 0 characters are dropped. `each` (a class) puts
// every character of that class on its own.
template <class Classify>
void runs(const NormalizedString& s, Range r, std::vector<Range>& words, Classify classify, int each = -1) {
  size_t start = r.begin;
  int cur = 0;
  for (size_t i = r.begin; i < r.end; ++i) {
    const int c = classify(s.text[i]);
    if (c != cur || c == each) {
      if (cur != 0 && start < i) words.push_back({start, i});
      start = i;
      cur = c;
    }
  }
  if (cur != 0 && start < r.end) words.push_back({start, r.end});
}

// text.match(/\w+|[^\w\s]+/g), without the u flag: \w is ASCII, \s JavaScript's whitespace
// (Python's Whitespace uses Unicode \w, so "café" is one word there and two here).
class Whitespace final : public PreTokenizer {
 public:
  void pre_tokenize(const NormalizedString& s, Range r, std::vector<Range>& words) const override {
    runs(s, r, words, [](char32_t c) { return is_ascii_word(c) ? 1 : unicode::is_js_whitespace(c) ? 0 : 2; });
  }
};

// text.match(/[^P]+|[P]+/gu): runs of punctuation and runs of the rest (whitespace included).
// Transformers.js ignores `behavior` (Python's default, Isolated, puts each punctuation alone).
class Punctuation final : public PreTokenizer {
 public:
  explicit Punctuation(const Fields& f) { check_behavior(f); }
  void pre_tokenize(const NormalizedString& s, Range r, std::vector<Range>& words) const override {
    runs(s, r, words, [](char32_t c) { return is_punct(c) ? 2 : 1; });
  }
};

// text.match(/[^\d]+|\d+/gu) (or \d alone with individual_digits); \d is ASCII.
class Digits final : public PreTokenizer {
 public:
  explicit Digits(const Fields& f) : individual_(f.boolean("individual_digits", false)) {}
  void pre_tokenize(const NormalizedString& s, Range r, std::vector<Range>& words) const override {
    runs(s, r, words, [](char32_t c) { return is_ascii_digit(c) ? 2 : 1; }, individual_ ? 2 : -1);
  }

 private:
  bool individual_;
};

// Python tokenizers: split on one character, which is removed; empty pieces dropped.
class CharDelimiterSplit final : public PreTokenizer {
 public:
  explicit CharDelimiterSplit(const Fields& f) {
    const std::u32string d = unicode::decode_utf8(f.string("delimiter"));
    if (d.size() != 1) f.fail("delimiter", "must be exactly one character");
    delimiter_ = d[0];
  }
  void pre_tokenize(const NormalizedString& s, Range r, std::vector<Range>& words) const override {
    const char32_t d = delimiter_;
    runs(s, r, words, [d](char32_t c) { return c == d ? 0 : 1; });
  }

 private:
  char32_t delimiter_ = 0;
};

struct ScriptRow {
  char32_t first;
  uint8_t script;
};
constexpr ScriptRow kScripts[] = {
#include "unicode_scripts_table.inc"
};

uint8_t script_of(char32_t c) {
  const auto* it = std::upper_bound(std::begin(kScripts), std::end(kScripts), c,
                                    [](char32_t v, const ScriptRow& row) { return v < row.first; });
  return it == std::begin(kScripts) ? 0 : (it - 1)->script;
}

// Python tokenizers: a cut wherever the script changes; "Any" characters (the space, and code
// points its Unicode 9.0 table lacks) join the run they are in and never cut. Characters before
// the first cut are dropped (so are leading spaces), as Python does.
class UnicodeScripts final : public PreTokenizer {
 public:
  void pre_tokenize(const NormalizedString& s, Range r, std::vector<Range>& words) const override {
    int last = -1;  // script of the last non-Any character; -1: none yet
    size_t start = SIZE_MAX;
    for (size_t i = r.begin; i < r.end; ++i) {
      const int sc = script_of(s.text[i]);
      if (sc == 0) continue;
      if (sc != last) {
        if (start != SIZE_MAX) words.push_back({start, i});
        start = i;
      }
      last = sc;
    }
    if (start != SIZE_MAX && start < r.end) words.push_back({start, r.end});
  }
};

}  // namespace

void check_behavior(const Fields& f) {
  const std::string b = f.string_or("behavior", "Isolated");
  static const char* const known[] = {"Removed", "Isolated", "MergedWithPrevious", "MergedWithNext", "Contiguous"};
  for (const char* k : known)
    if (b == k) return;
  f.fail("behavior", "must be Removed, Isolated, MergedWithPrevious, MergedWithNext or Contiguous, got \"" + b + "\"");
}

std::unique_ptr<PreTokenizer> make_splitter_pre_tokenizer(const std::string& type, const Fields& f) {
  if (type == "Whitespace") return std::make_unique<Whitespace>();
  if (type == "Punctuation") return std::make_unique<Punctuation>(f);
  if (type == "Digits") return std::make_unique<Digits>(f);
  if (type == "CharDelimiterSplit") return std::make_unique<CharDelimiterSplit>(f);
  if (type == "UnicodeScripts") return std::make_unique<UnicodeScripts>();
  return nullptr;
}

}  // namespace transformers::tokenizers
