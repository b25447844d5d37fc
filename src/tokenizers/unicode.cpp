#include "unicode.hpp"

#include <utf8proc.h>

#include <algorithm>
#include <string>

#include "transformers/error.hpp"

namespace transformers::tokenizers::unicode {
namespace {

[[noreturn]] void invalid_utf8(size_t at) {
  throw InvalidInputError("invalid UTF-8 in input text at byte " + std::to_string(at));
}

inline bool is_cont(unsigned char b) { return (b & 0xC0) == 0x80; }

// Decodes one non-ASCII sequence starting at i; returns its length and writes the code point.
inline size_t decode_one(const unsigned char* p, size_t n, size_t i, char32_t& cp) {
  const unsigned char b0 = p[i];
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    if (i + 1 >= n || !is_cont(p[i + 1])) invalid_utf8(i);
    cp = (char32_t(b0 & 0x1F) << 6) | (p[i + 1] & 0x3F);
    return 2;
  }
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    if (i + 2 >= n || !is_cont(p[i + 1]) || !is_cont(p[i + 2])) invalid_utf8(i);
    const unsigned char b1 = p[i + 1];
    if ((b0 == 0xE0 && b1 < 0xA0) || (b0 == 0xED && b1 > 0x9F)) invalid_utf8(i);  // overlong, surrogate
    cp = (char32_t(b0 & 0x0F) << 12) | (char32_t(b1 & 0x3F) << 6) | (p[i + 2] & 0x3F);
    return 3;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    if (i + 3 >= n || !is_cont(p[i + 1]) || !is_cont(p[i + 2]) || !is_cont(p[i + 3])) invalid_utf8(i);
    const unsigned char b1 = p[i + 1];
    if ((b0 == 0xF0 && b1 < 0x90) || (b0 == 0xF4 && b1 > 0x8F)) invalid_utf8(i);  // overlong, > U+10FFFF
    cp = (char32_t(b0 & 0x07) << 18) | (char32_t(b1 & 0x3F) << 12) | (char32_t(p[i + 2] & 0x3F) << 6) |
         (p[i + 3] & 0x3F);
    return 4;
  }
  invalid_utf8(i);
}

inline utf8proc_category_t category(char32_t c) { return utf8proc_category(static_cast<utf8proc_int32_t>(c)); }

bool in_ranges(char32_t c, const char32_t (*ranges)[2], size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (c >= ranges[i][0] && c <= ranges[i][1]) return true;
  return false;
}

// Unicode "Cased": Lu, Ll, Lt, Other_Lowercase, Other_Uppercase.
bool is_cased(char32_t c) {
  if (c < 0x80) return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  switch (category(c)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
      return true;
    default:
      break;
  }
  static constexpr char32_t other[][2] = {
      {0x00AA, 0x00AA}, {0x00BA, 0x00BA}, {0x02B0, 0x02B8}, {0x02C0, 0x02C1}, {0x02E0, 0x02E4},
      {0x0345, 0x0345}, {0x037A, 0x037A}, {0x1D2C, 0x1D6A}, {0x1D78, 0x1D78}, {0x1D9B, 0x1DBF},
      {0x2071, 0x2071}, {0x207F, 0x207F}, {0x2090, 0x209C}, {0x2160, 0x217F}, {0x24B6, 0x24E9},
      {0x2C7C, 0x2C7D}, {0xA69C, 0xA69D}, {0xA770, 0xA770}, {0xA7F8, 0xA7F9}, {0xAB5C, 0xAB5F},
      {0x1F130, 0x1F149}, {0x1F150, 0x1F169}, {0x1F170, 0x1F189}};
  return in_ranges(c, other, sizeof(other) / sizeof(other[0])) || utf8proc_islower(static_cast<int32_t>(c)) ||
         utf8proc_isupper(static_cast<int32_t>(c));
}

// Unicode "Case_Ignorable": Mn, Me, Cf, Lm, Sk, and Word_Break MidLetter/MidNumLet/Single_Quote.
bool is_case_ignorable(char32_t c) {
  switch (c) {
    case 0x27: case 0x2E: case 0x3A: case 0xB7: case 0x387: case 0x55F: case 0x5F4: case 0x2018:
    case 0x2019: case 0x2024: case 0x2027: case 0xFE13: case 0xFE52: case 0xFE55: case 0xFF07:
    case 0xFF0E: case 0xFF1A:
      return true;
    default:
      break;
  }
  if (c < 0x80) return c == '^' || c == '`';  // Sk
  switch (category(c)) {
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_ME:
    case UTF8PROC_CATEGORY_CF:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_SK:
      return true;
    default:
      return false;
  }
}

// Final_Sigma: preceded by a cased letter (skipping case-ignorables) and not followed by one.
bool is_final_sigma(const std::u32string& t, size_t i) {
  size_t j = i;
  bool before = false;
  while (j > 0) {
    const char32_t c = t[--j];
    if (is_case_ignorable(c)) continue;
    before = is_cased(c);
    break;
  }
  if (!before) return false;
  for (size_t k = i + 1; k < t.size(); ++k) {
    const char32_t c = t[k];
    if (is_case_ignorable(c)) continue;
    return !is_cased(c);
  }
  return true;
}

}  // namespace

void decode_utf8(std::string_view input, NormalizedString& out, uint32_t base) {
  if (input.size() > 0xFFFFFFF0u - base) throw InvalidInputError("input text is larger than 4 GiB");
  const auto* p = reinterpret_cast<const unsigned char*>(input.data());
  const size_t n = input.size();
  out.text.reserve(out.text.size() + n);
  out.align.reserve(out.align.size() + n);
  size_t i = 0;
  while (i < n) {
    if (p[i] < 0x80) {
      out.text.push_back(p[i]);
      out.align.push_back({uint32_t(base + i), uint32_t(base + i + 1)});
      ++i;
      continue;
    }
    char32_t cp;
    const size_t len = decode_one(p, n, i, cp);
    out.text.push_back(cp);
    out.align.push_back({uint32_t(base + i), uint32_t(base + i + len)});
    i += len;
  }
}

std::u32string decode_utf8(std::string_view input) {
  std::u32string out;
  out.reserve(input.size());
  const auto* p = reinterpret_cast<const unsigned char*>(input.data());
  const size_t n = input.size();
  size_t i = 0;
  while (i < n) {
    if (p[i] < 0x80) {
      out.push_back(p[i++]);
      continue;
    }
    char32_t cp;
    i += decode_one(p, n, i, cp);
    out.push_back(cp);
  }
  return out;
}

void append_utf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

std::string to_utf8(std::u32string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char32_t c : text) append_utf8(out, c);
  return out;
}

bool is_other_control(char32_t c) {
  if (c < 0x80) return c < 0x20 || c == 0x7F;
  switch (category(c)) {
    case UTF8PROC_CATEGORY_CC:
    case UTF8PROC_CATEGORY_CF:
    case UTF8PROC_CATEGORY_CO:
    case UTF8PROC_CATEGORY_CS:
      return true;
    default:
      return false;
  }
}

bool is_punctuation(char32_t c) {
  if (c < 0x80) {
    switch (c) {
      case '!': case '"': case '#': case '%': case '&': case '\'': case '(': case ')': case '*':
      case ',': case '-': case '.': case '/': case ':': case ';': case '?': case '@': case '[':
      case '\\': case ']': case '_': case '{': case '}':
        return true;
      default:
        return false;
    }
  }
  switch (category(c)) {
    case UTF8PROC_CATEGORY_PC:
    case UTF8PROC_CATEGORY_PD:
    case UTF8PROC_CATEGORY_PS:
    case UTF8PROC_CATEGORY_PE:
    case UTF8PROC_CATEGORY_PI:
    case UTF8PROC_CATEGORY_PF:
    case UTF8PROC_CATEGORY_PO:
      return true;
    default:
      return false;
  }
}

bool is_nonspacing_mark(char32_t c) { return c >= 0x300 && category(c) == UTF8PROC_CATEGORY_MN; }

bool is_mark(char32_t c) {
  if (c < 0x300) return false;
  const auto cat = category(c);
  return cat == UTF8PROC_CATEGORY_MN || cat == UTF8PROC_CATEGORY_MC || cat == UTF8PROC_CATEGORY_ME;
}

void to_lower_js(NormalizedString& s) {
  auto& t = s.text;
  bool expand = false;
  for (size_t i = 0; i < t.size(); ++i) {
    const char32_t c = t[i];
    if (c < 0x80) {
      if (c >= 'A' && c <= 'Z') t[i] = c + 32;
      continue;
    }
    if (c == 0x130) {  // İ -> i + U+0307 (SpecialCasing, unconditional)
      expand = true;
      continue;
    }
    if (c == 0x3A3) {  // Σ
      t[i] = is_final_sigma(t, i) ? 0x3C2 : 0x3C3;
      continue;
    }
    t[i] = static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(c)));
  }
  if (!expand) return;
  NormalizedString out;
  out.text.reserve(t.size() + 4);
  out.align.reserve(t.size() + 4);
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i] == 0x130) {
      out.push_back(U'i', s.align[i]);
      out.push_back(0x307, s.align[i]);
    } else {
      out.push_back(t[i], s.align[i]);
    }
  }
  s = std::move(out);
}

void nfd(NormalizedString& s) {
  auto& t = s.text;
  size_t first = 0;
  while (first < t.size() && t[first] < 0xC0) ++first;  // nothing below U+00C0 decomposes or reorders
  if (first == t.size()) return;

  NormalizedString out;
  out.text.reserve(t.size() + 8);
  out.align.reserve(t.size() + 8);
  out.text.assign(t.begin(), t.begin() + static_cast<std::ptrdiff_t>(first));
  out.align.assign(s.align.begin(), s.align.begin() + static_cast<std::ptrdiff_t>(first));
  utf8proc_int32_t buf[32];
  for (size_t i = first; i < t.size(); ++i) {
    const char32_t c = t[i];
    if (c < 0xC0) {
      out.push_back(c, s.align[i]);
      continue;
    }
    int last_boundclass = 0;
    const auto n = utf8proc_decompose_char(static_cast<utf8proc_int32_t>(c), buf, 32, UTF8PROC_DECOMPOSE,
                                           &last_boundclass);
    if (n <= 0 || n > 32) {
      out.push_back(c, s.align[i]);
      continue;
    }
    for (utf8proc_ssize_t k = 0; k < n; ++k) out.push_back(static_cast<char32_t>(buf[k]), s.align[i]);
  }
  // Canonical ordering: stable-sort each run of non-starters by combining class.
  auto ccc = [](char32_t c) -> int {
    return c < 0x300 ? 0 : utf8proc_get_property(static_cast<utf8proc_int32_t>(c))->combining_class;
  };
  auto& o = out.text;
  size_t i = 0;
  while (i < o.size()) {
    if (ccc(o[i]) == 0) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < o.size() && ccc(o[j]) != 0) ++j;
    if (j - i > 1) {
      std::vector<size_t> idx(j - i);
      for (size_t k = 0; k < idx.size(); ++k) idx[k] = i + k;
      std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return ccc(o[a]) < ccc(o[b]); });
      std::u32string tt(idx.size(), 0);
      std::vector<Span> aa(idx.size());
      for (size_t k = 0; k < idx.size(); ++k) {
        tt[k] = o[idx[k]];
        aa[k] = out.align[idx[k]];
      }
      for (size_t k = 0; k < idx.size(); ++k) {
        o[i + k] = tt[k];
        out.align[i + k] = aa[k];
      }
    }
    i = j;
  }
  s = std::move(out);
}

}  // namespace transformers::tokenizers::unicode
