// Regular expressions for the tokenizer layer, on PCRE2 (UTF mode, JIT), matching as Transformers.js
// does with the "gu" flags. Two dialects:
//  - js: a JavaScript pattern (the ByteLevel pre-tokenizer's): `\s` is JavaScript's whitespace
//    (with U+FEFF, without U+0085), `\d`, `\w`, `\b` are ASCII;
//  - oniguruma: a tokenizer.json pattern, rewritten as Transformers.js rewrites it: `\s` is
//    \p{White_Space}, `\d` is \p{Nd}, `\w` / `\b` are Unicode word characters / boundaries, `\h` hex.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "components.hpp"

namespace transformers::tokenizers {

class Regex {
 public:
  enum class Dialect { js, oniguruma, literal };
  // Throws ModelLoadError through `f` (naming `field`) when the pattern does not compile.
  Regex(std::string_view pattern, const Fields& f, std::string_view field, Dialect dialect);
  // A literal string, matched as is.
  static std::unique_ptr<Regex> literal(std::string_view text, const Fields& f, std::string_view field);
  ~Regex();
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;

  struct Match {
    Range whole;                  // code point indices into the text
    std::vector<Range> groups;    // capture groups 1..n; begin == end == SIZE_MAX when unset
  };
  // Every match of text[r] as String.prototype.matchAll with the "g" and "u" flags finds them
  // (after an empty match the search goes on one code point further). Indices are absolute.
  void find_all(const std::u32string& text, Range r, std::vector<Match>& out, bool with_groups = false) const;

 private:
  void* code_ = nullptr;  // pcre2_code_8
  uint32_t groups_ = 0;
};

// JavaScript's `\s` as the body of a character class.
extern const char* const kJsSpaceClassBody;

}  // namespace transformers::tokenizers
