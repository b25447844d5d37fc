// Unicode helpers for the tokenizer layer: strict UTF-8 decoding, the character classes that
// Transformers.js tests with JavaScript regular expressions, and JS-compatible case mapping.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace transformers::tokenizers {

// Byte range [begin, end) in the original UTF-8 input that a code point came from.
struct Span {
  uint32_t begin = 0;
  uint32_t end = 0;
};

// Text as code points, each remembering where in the original input it came from.
struct NormalizedString {
  std::u32string text;
  std::vector<Span> align;  // align.size() == text.size()

  void clear() {
    text.clear();
    align.clear();
  }
  void push_back(char32_t c, Span s) {
    text.push_back(c);
    align.push_back(s);
  }
  size_t size() const { return text.size(); }
};

namespace unicode {

// Decodes `input` into `out` (appending), with byte offsets relative to `input` plus `base`.
// Throws InvalidInputError on invalid UTF-8 (overlong forms, surrogates, > U+10FFFF, truncation).
void decode_utf8(std::string_view input, NormalizedString& out, uint32_t base = 0);
// Decodes without offsets; throws InvalidInputError on invalid UTF-8.
std::u32string decode_utf8(std::string_view input);
void append_utf8(std::string& out, char32_t c);
std::string to_utf8(std::u32string_view text);

// JavaScript `\s` (WhiteSpace + LineTerminator), also what String.prototype.trim removes.
inline bool is_js_whitespace(char32_t c) {
  if (c < 0x80) return c == ' ' || (c >= 0x09 && c <= 0x0D);
  return c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 ||
         c == 0x202F || c == 0x205F || c == 0x3000 || c == 0xFEFF;
}

// General category Cc, Cf, Co or Cs.
bool is_other_control(char32_t c);
// \p{P}: Pc, Pd, Ps, Pe, Pi, Pf, Po.
bool is_punctuation(char32_t c);
// \p{Mn}
bool is_nonspacing_mark(char32_t c);
// \p{M}: Mn, Mc, Me.
bool is_mark(char32_t c);

// What BertNormalizer.tokenize_chinese_chars tests: it walks UTF-16 code units, so only the BMP
// CJK blocks ever match.
inline bool is_bmp_chinese_char(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0xF900 && c <= 0xFAFF);
}

// String.prototype.toLowerCase on a whole string: full lowercase mapping including U+0130 and
// the Final_Sigma context rule. Rewrites `s` in place (may grow).
void to_lower_js(NormalizedString& s);
// NFD (canonical decomposition + canonical ordering).
void nfd(NormalizedString& s);
// NFC (canonical decomposition, then canonical composition).
void nfc(NormalizedString& s);
// Removes the code points for which pred(c) is true.
template <class Pred>
void remove_if(NormalizedString& s, Pred pred) {
  size_t w = 0;
  for (size_t r = 0; r < s.text.size(); ++r) {
    if (pred(s.text[r])) continue;
    s.text[w] = s.text[r];
    s.align[w] = s.align[r];
    ++w;
  }
  s.text.resize(w);
  s.align.resize(w);
}

}  // namespace unicode
}  // namespace transformers::tokenizers
