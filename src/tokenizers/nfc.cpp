// NFC with alignment: canonical decomposition (unicode::nfd) then canonical composition (UAX #15),
// a composed character covering the input bytes of its parts.
#include <utf8proc.h>

#include <algorithm>

#include "unicode.hpp"

namespace transformers::tokenizers::unicode {
namespace {

int ccc(char32_t c) {
  return c < 0x300 ? 0 : utf8proc_get_property(static_cast<utf8proc_int32_t>(c))->combining_class;
}

// The primary composite of a + b, or 0.
char32_t compose(char32_t a, char32_t b) {
  utf8proc_int32_t buf[2] = {static_cast<utf8proc_int32_t>(a), static_cast<utf8proc_int32_t>(b)};
  const auto n = utf8proc_normalize_utf32(buf, 2, static_cast<utf8proc_option_t>(UTF8PROC_COMPOSE | UTF8PROC_STABLE));
  return n == 1 ? static_cast<char32_t>(buf[0]) : 0;
}

}  // namespace

void nfc(NormalizedString& s) {
  bool simple = true;
  for (char32_t c : s.text) simple = simple && c < 0x300;
  if (simple) return;  // nothing below U+0300 decomposes under NFC or composes with a neighbour
  nfd(s);
  auto& t = s.text;
  size_t w = 0;
  size_t starter = SIZE_MAX;
  int last_class = -1;  // combining class of the last character kept after the starter; -1: none
  for (size_t i = 0; i < t.size(); ++i) {
    const char32_t c = t[i];
    const int cc = ccc(c);
    if (starter != SIZE_MAX && (last_class == -1 || last_class < cc)) {
      if (const char32_t composite = compose(t[starter], c)) {
        t[starter] = composite;
        s.align[starter].begin = std::min(s.align[starter].begin, s.align[i].begin);
        s.align[starter].end = std::max(s.align[starter].end, s.align[i].end);
        continue;
      }
    }
    if (cc == 0) {
      starter = w;
      last_class = -1;
    } else {
      last_class = cc;
    }
    t[w] = c;
    s.align[w] = s.align[i];
    ++w;
  }
  t.resize(w);
  s.align.resize(w);
}

}  // namespace transformers::tokenizers::unicode
