#include "tokenizers/jinja/jinja_strings.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "core/js_json.hpp"

namespace transformers::jinja::text {

namespace {

struct CaseRun {
  char32_t first, last;
  int stride, delta;
};
struct CaseMulti {
  char32_t cp;
  char32_t to[3];
};
struct CodeRange {
  char32_t first, last;
};

#include "tokenizers/jinja/jinja_unicode_tables.inc"

template <size_t N>
bool in_ranges(const CodeRange (&table)[N], char32_t cp) {
  const auto* it = std::upper_bound(std::begin(table), std::end(table), cp,
                                    [](char32_t c, const CodeRange& r) { return c < r.first; });
  return it != std::begin(table) && cp <= (it - 1)->last;
}

// Appends the mapping of cp (itself when the tables do not change it).
template <size_t R, size_t M>
void append_mapped(std::string& out, char32_t cp, const CaseRun (&runs)[R], const CaseMulti (&multi)[M]) {
  const auto* m =
      std::lower_bound(std::begin(multi), std::end(multi), cp, [](const CaseMulti& e, char32_t c) { return e.cp < c; });
  if (m != std::end(multi) && m->cp == cp) {
    for (char32_t c : m->to)
      if (c != 0) append_utf8(out, c);
    return;
  }
  const auto* it =
      std::upper_bound(std::begin(runs), std::end(runs), cp, [](char32_t c, const CaseRun& r) { return c < r.first; });
  if (it != std::begin(runs)) {
    const CaseRun& r = *(it - 1);
    if (cp <= r.last && (cp - r.first) % static_cast<char32_t>(r.stride) == 0) {
      append_utf8(out, static_cast<char32_t>(static_cast<int64_t>(cp) + r.delta));
      return;
    }
  }
  append_utf8(out, cp);
}

// The first UTF-16 code unit of cp and, for astral code points, the second (else 0).
std::pair<uint32_t, uint32_t> utf16_units(char32_t cp) {
  if (cp == kInvalid) return {0xFFFD, 0};
  if (cp < 0x10000) return {cp, 0};
  return {0xD800 + ((cp - 0x10000) >> 10), 0xDC00 + ((cp - 0x10000) & 0x3FF)};
}

bool ascii_word(unsigned char c) { return std::isalnum(c) || c == '_'; }

// A decimal literal (digits, optional fraction and exponent, no sign) as the nearest double; one too
// large for a double is infinite and one too small is zero, as in JavaScript.
double parse_decimal(const std::string& t) {
  double v = 0;
  const auto r = std::from_chars(t.data(), t.data() + t.size(), v);
  if (r.ec == std::errc::result_out_of_range) return std::strtod(t.c_str(), nullptr);
  return v;
}

// The longest prefix of s that is a StrDecimalLiteral without sign ("Infinity", 1, 1.5, .5, 1e3, ...).
size_t decimal_prefix(std::string_view s) {
  if (s.substr(0, 8) == "Infinity") return 8;
  size_t i = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
  const size_t int_digits = i;
  size_t frac_digits = 0;
  if (i < s.size() && s[i] == '.') {
    size_t j = i + 1;
    while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) ++j;
    frac_digits = j - i - 1;
    if (int_digits > 0 || frac_digits > 0) i = j;
  }
  if (int_digits == 0 && frac_digits == 0) return 0;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    size_t j = i + 1;
    if (j < s.size() && (s[j] == '+' || s[j] == '-')) ++j;
    const size_t exp_start = j;
    while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) ++j;
    if (j > exp_start) i = j;
  }
  return i;
}

double decimal_value(std::string_view literal) {
  if (literal == "Infinity") return std::numeric_limits<double>::infinity();
  std::string t(literal);
  if (t.front() == '.') t.insert(t.begin(), '0');
  return parse_decimal(t);
}

// Node's root collation for ASCII: primary groups in order (a group's members differ only in case).
constexpr std::string_view kAsciiCollation =
    "\t\n\v\f\r _-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$0123456789aAbBcCdDeEfFgGhHiIjJkKlLmMnNoOpPqQrRsStTuUvVwWxXyYzZ";

struct AsciiWeights {
  int primary[128];  // 0 = ignorable
  AsciiWeights() {
    std::fill(std::begin(primary), std::end(primary), 0);
    int w = 0;
    for (size_t i = 0; i < kAsciiCollation.size(); ++i) {
      const char c = kAsciiCollation[i];
      const bool same_as_previous = std::isupper(static_cast<unsigned char>(c)) != 0;
      if (!same_as_previous) ++w;
      primary[static_cast<unsigned char>(c)] = w;
    }
  }
};

}  // namespace

size_t decode(std::string_view s, size_t i, char32_t& cp) {
  const auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) {
    cp = c;
    return 1;
  }
  const size_t len = (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
  if (len == 0 || i + len > s.size()) {
    cp = kInvalid;
    return 1;
  }
  char32_t v = len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
  for (size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b >> 6) != 0x2) {
      cp = kInvalid;
      return 1;
    }
    v = (v << 6) | (b & 0x3F);
  }
  const char32_t min = len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000;
  if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) {
    cp = kInvalid;
    return 1;
  }
  cp = v;
  return len;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

bool is_js_space(char32_t cp) {
  return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
         cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000 || cp == 0xFEFF;
}

size_t space_at(std::string_view s, size_t i) {
  if (i >= s.size()) return 0;
  char32_t cp;
  const size_t len = decode(s, i, cp);
  return is_js_space(cp) ? len : 0;
}

std::string_view trim_start(std::string_view s) {
  size_t i = 0;
  while (size_t n = space_at(s, i)) i += n;
  return s.substr(i);
}

std::string_view trim_end(std::string_view s) {
  size_t end = s.size();
  while (end > 0) {
    size_t start = end - 1;  // back up to the start of the last character
    while (start > 0 && end - start < 4 && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) --start;
    char32_t cp;
    const size_t len = decode(s, start, cp);
    if (start + len != end || !is_js_space(cp)) break;
    end = start;
  }
  return s.substr(0, end);
}

std::string_view trim(std::string_view s) { return trim_end(trim_start(s)); }

size_t utf16_length(std::string_view s) {
  size_t n = 0;
  for (size_t i = 0; i < s.size();) {
    char32_t cp;
    i += decode(s, i, cp);
    n += (cp != kInvalid && cp >= 0x10000) ? 2 : 1;
  }
  return n;
}

std::optional<std::string> utf16_at(std::string_view s, double index) {
  if (std::isnan(index)) index = 0;
  index = std::trunc(index);
  const double len = static_cast<double>(utf16_length(s));
  const double k = index >= 0 ? index : len + index;
  if (k < 0 || k >= len) return std::nullopt;
  const auto target = static_cast<size_t>(k);
  size_t unit = 0;
  for (size_t i = 0; i < s.size();) {
    char32_t cp;
    const size_t n = decode(s, i, cp);
    const size_t width = (cp != kInvalid && cp >= 0x10000) ? 2 : 1;
    if (target < unit + width) {
      if (width == 2) return std::string("\xEF\xBF\xBD");  // a lone surrogate
      return std::string(s.substr(i, n));
    }
    unit += width;
    i += n;
  }
  return std::nullopt;
}

std::vector<std::string_view> code_points(std::string_view s) {
  std::vector<std::string_view> out;
  for (size_t i = 0; i < s.size();) {
    char32_t cp;
    const size_t n = decode(s, i, cp);
    out.push_back(s.substr(i, n));
    i += n;
  }
  return out;
}

int compare_utf16(std::string_view a, std::string_view b) {
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    char32_t ca, cb;
    const size_t na = decode(a, i, ca), nb = decode(b, j, cb);
    if (ca == kInvalid) ca = static_cast<unsigned char>(a[i]);
    if (cb == kInvalid) cb = static_cast<unsigned char>(b[j]);
    if (ca != cb) {
      const auto ua = utf16_units(ca), ub = utf16_units(cb);
      if (ua.first != ub.first) return ua.first < ub.first ? -1 : 1;
      if (ua.second != ub.second) return ua.second < ub.second ? -1 : 1;
    }
    i += na;
    j += nb;
  }
  if (i < a.size()) return 1;
  if (j < b.size()) return -1;
  return 0;
}

int locale_compare(std::string_view a, std::string_view b) {
  static const AsciiWeights weights;
  const bool ascii = std::all_of(a.begin(), a.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; }) &&
                     std::all_of(b.begin(), b.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  if (!ascii) return compare_utf16(a, b);
  auto level = [&](auto weight) {
    size_t i = 0, j = 0;
    for (;;) {
      while (i < a.size() && weights.primary[static_cast<unsigned char>(a[i])] == 0) ++i;
      while (j < b.size() && weights.primary[static_cast<unsigned char>(b[j])] == 0) ++j;
      if (i == a.size() || j == b.size()) return i == a.size() ? (j == b.size() ? 0 : -1) : 1;
      const int wa = weight(static_cast<unsigned char>(a[i])), wb = weight(static_cast<unsigned char>(b[j]));
      if (wa != wb) return wa < wb ? -1 : 1;
      ++i;
      ++j;
    }
  };
  if (int r = level([&](unsigned char c) { return weights.primary[c]; })) return r;
  return level([](unsigned char c) { return std::isupper(c) ? 1 : 0; });
}

std::string to_upper(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    char32_t cp;
    const size_t n = decode(s, i, cp);
    if (cp == kInvalid)
      out.append(s.substr(i, n));
    else
      append_mapped(out, cp, kUpperRuns, kUpperMulti);
    i += n;
  }
  return out;
}

std::string to_lower(std::string_view s) {
  std::vector<char32_t> cps;
  std::vector<size_t> starts;
  for (size_t i = 0; i < s.size();) {
    char32_t cp;
    starts.push_back(i);
    i += decode(s, i, cp);
    cps.push_back(cp);
  }
  starts.push_back(s.size());
  // Final_Sigma: a capital sigma after a cased letter (case-ignorable characters between) and not before
  // one becomes the final form.
  auto cased_beyond = [&](size_t k, int dir) {
    for (auto j = static_cast<std::ptrdiff_t>(k) + dir; j >= 0 && j < static_cast<std::ptrdiff_t>(cps.size());
         j += dir) {
      const char32_t c = cps[static_cast<size_t>(j)];
      if (c == kInvalid) return false;
      if (in_ranges(kCaseIgnorable, c)) continue;
      return in_ranges(kCased, c);
    }
    return false;
  };
  std::string out;
  out.reserve(s.size());
  for (size_t k = 0; k < cps.size(); ++k) {
    const char32_t cp = cps[k];
    if (cp == kInvalid)
      out.append(s.substr(starts[k], starts[k + 1] - starts[k]));
    else if (cp == 0x3A3 && cased_beyond(k, -1) && !cased_beyond(k, +1))
      append_utf8(out, 0x3C2);
    else
      append_mapped(out, cp, kLowerRuns, kLowerMulti);
  }
  return out;
}

std::string title_case(std::string_view s) {
  std::string out(s);
  for (size_t i = 0; i < out.size(); ++i) {
    const auto c = static_cast<unsigned char>(out[i]);
    if (ascii_word(c) && (i == 0 || !ascii_word(static_cast<unsigned char>(out[i - 1]))))
      out[i] = static_cast<char>(std::toupper(c));
  }
  return out;
}

std::string capitalize(std::string_view s) {
  if (s.empty()) return "";
  char32_t cp;
  const size_t n = decode(s, 0, cp);
  if (cp == kInvalid || cp >= 0x10000) return std::string(s);  // charAt(0) is half of a surrogate pair
  return to_upper(s.substr(0, n)) + std::string(s.substr(n));
}

std::string number_to_string(double n) {
  if (std::isnan(n)) return "NaN";
  if (std::isinf(n)) return n > 0 ? "Infinity" : "-Infinity";
  std::string out;
  core::append_js_number(out, n);
  return out;
}

double parse_int(std::string_view s) {
  s = trim_start(s);
  double sign = 1;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    if (s[0] == '-') sign = -1;
    s.remove_prefix(1);
  }
  size_t n = 0;
  while (n < s.size() && std::isdigit(static_cast<unsigned char>(s[n]))) ++n;
  if (n == 0) return std::numeric_limits<double>::quiet_NaN();
  return sign * parse_decimal(std::string(s.substr(0, n)));
}

double parse_float(std::string_view s) {
  s = trim_start(s);
  double sign = 1;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    if (s[0] == '-') sign = -1;
    s.remove_prefix(1);
  }
  const size_t n = decimal_prefix(s);
  if (n == 0) return std::numeric_limits<double>::quiet_NaN();
  return sign * decimal_value(s.substr(0, n));
}

double string_to_number(std::string_view s) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  s = trim(s);
  if (s.empty()) return 0;
  if (s.size() > 2 && s[0] == '0') {
    const char p = static_cast<char>(std::tolower(static_cast<unsigned char>(s[1])));
    const int base = p == 'x' ? 16 : p == 'o' ? 8 : p == 'b' ? 2 : 0;
    if (base != 0) {
      double v = 0;
      for (char c : s.substr(2)) {
        const int d = std::isdigit(static_cast<unsigned char>(c)) ? c - '0'
                      : std::isalpha(static_cast<unsigned char>(c))
                          ? std::tolower(static_cast<unsigned char>(c)) - 'a' + 10
                          : 99;
        if (d >= base) return nan;
        v = v * base + d;
      }
      return v;
    }
  }
  double sign = 1;
  std::string_view body = s;
  if (body[0] == '+' || body[0] == '-') {
    if (body[0] == '-') sign = -1;
    body.remove_prefix(1);
  }
  const size_t n = decimal_prefix(body);
  if (n == 0 || n != body.size()) return nan;
  return sign * decimal_value(body);
}

}  // namespace transformers::jinja::text
