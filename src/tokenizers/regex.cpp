// PCRE2-backed regular expressions with JavaScript semantics where the tokenizers depend on them.
#define PCRE2_CODE_UNIT_WIDTH 8
#include "regex.hpp"

#include <pcre2.h>

#include <string>

namespace transformers::tokenizers {

const char* const kJsSpaceClassBody =
    "\\t\\n\\x{0B}\\f\\r \\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}\\x{FEFF}";

namespace {

constexpr const char* kWordInClass = "\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}";
constexpr const char* kWordClass = "[\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\x{B2}\\x{B3}\\x{B9}\\x{BC}-\\x{BE}]";
constexpr const char* kNonWordClass = "[^\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\x{B2}\\x{B3}\\x{B9}\\x{BC}-\\x{BE}]";

// Rewrites the escapes whose meaning differs between the dialect and PCRE2 (without UCP).
std::string rewrite(std::string_view p, Regex::Dialect d) {
  const bool onig = d == Regex::Dialect::oniguruma;
  std::string out;
  out.reserve(p.size() + 16);
  bool in_class = false;
  for (size_t i = 0; i < p.size(); ++i) {
    const char c = p[i];
    if (c == '\\' && i + 1 < p.size()) {
      const char n = p[i + 1];
      ++i;
      std::string r;
      if (!onig) {
        if (n == 's') r = in_class ? std::string(kJsSpaceClassBody) : "[" + std::string(kJsSpaceClassBody) + "]";
        else if (n == 'S' && !in_class) r = "[^" + std::string(kJsSpaceClassBody) + "]";
      } else if (in_class) {
        if (n == 's') r = "\\p{White_Space}";
        else if (n == 'S') r = "\\P{White_Space}";
        else if (n == 'd') r = "\\p{Nd}";
        else if (n == 'D') r = "\\P{Nd}";
        else if (n == 'w') r = kWordInClass;
        else if (n == 'h') r = "0-9A-Fa-f";
      } else {
        if (n == 's') r = "\\p{White_Space}";
        else if (n == 'S') r = "\\P{White_Space}";
        else if (n == 'd') r = "\\p{Nd}";
        else if (n == 'D') r = "\\P{Nd}";
        else if (n == 'w') r = kWordClass;
        else if (n == 'W') r = kNonWordClass;
        else if (n == 'h') r = "[0-9A-Fa-f]";
        else if (n == 'H') r = "[^0-9A-Fa-f]";
        else if (n == 'b') r = "(?:(?<!" + std::string(kWordClass) + ")(?=" + kWordClass + ")|(?<=" + kWordClass + ")(?!" + kWordClass + "))";
        else if (n == 'B') r = "(?:(?<!" + std::string(kWordClass) + ")(?!" + kWordClass + ")|(?<=" + kWordClass + ")(?=" + kWordClass + "))";
      }
      if (r.empty()) {
        out += '\\';
        out += n;
      } else {
        out += r;
      }
      continue;
    }
    if (c == '[' && !in_class) in_class = true;
    else if (c == ']' && in_class) in_class = false;
    out += c;
  }
  return out;
}

std::string quote(std::string_view text) {
  std::string out = "\\Q";
  for (size_t i = 0; i < text.size(); ++i) {
    if (text.compare(i, 2, "\\E") == 0) {
      out += "\\E\\\\E\\Q";
      ++i;
    } else {
      out += text[i];
    }
  }
  return out + "\\E";
}

}  // namespace

Regex::Regex(std::string_view pattern, const Fields& f, std::string_view field, Dialect dialect) {
  const std::string p = dialect == Dialect::literal ? quote(pattern) : rewrite(pattern, dialect);
  int err = 0;
  PCRE2_SIZE offset = 0;
  auto* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(p.data()), p.size(), PCRE2_UTF | PCRE2_NO_UTF_CHECK, &err,
                             &offset, nullptr);
  if (!code) {
    PCRE2_UCHAR msg[256];
    pcre2_get_error_message(err, msg, sizeof msg);
    f.fail(field, "is not a valid regular expression (" + std::string(reinterpret_cast<const char*>(msg)) +
                      " at offset " + std::to_string(offset) + "): " + std::string(pattern));
  }
  pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);  // falls back to the interpreter if JIT is unavailable
  pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &groups_);
  code_ = code;
}

std::unique_ptr<Regex> Regex::literal(std::string_view text, const Fields& f, std::string_view field) {
  return std::make_unique<Regex>(text, f, field, Dialect::literal);
}

Regex::~Regex() { pcre2_code_free(static_cast<pcre2_code*>(code_)); }

void Regex::find_all(const std::u32string& text, Range r, std::vector<Match>& out, bool with_groups) const {
  thread_local std::string buf;
  thread_local std::vector<uint32_t> cp_of;  // byte offset -> code point index (absolute)
  buf.clear();
  cp_of.clear();
  for (size_t i = r.begin; i < r.end; ++i) {
    const size_t before = buf.size();
    unicode::append_utf8(buf, text[i]);
    cp_of.resize(buf.size(), static_cast<uint32_t>(i));
    (void)before;
  }
  cp_of.push_back(static_cast<uint32_t>(r.end));
  auto* code = static_cast<pcre2_code*>(code_);
  pcre2_match_data* md = pcre2_match_data_create_from_pattern(code, nullptr);
  const PCRE2_SIZE len = buf.size();
  PCRE2_SIZE pos = 0;
  const auto cp = [&](PCRE2_SIZE b) -> size_t { return cp_of[b]; };
  while (pos <= len) {
    const int rc = pcre2_match(code, reinterpret_cast<PCRE2_SPTR>(buf.data()), len, pos, PCRE2_NO_UTF_CHECK, md, nullptr);
    if (rc < 0) break;
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
    Match m;
    m.whole = {cp(ov[0]), cp(ov[1])};
    if (with_groups) {
      for (uint32_t g = 1; g <= groups_; ++g) {
        if (static_cast<int>(g) < rc && ov[2 * g] != PCRE2_UNSET)
          m.groups.push_back({cp(ov[2 * g]), cp(ov[2 * g + 1])});
        else
          m.groups.push_back({SIZE_MAX, SIZE_MAX});
      }
    }
    out.push_back(std::move(m));
    if (ov[1] == ov[0]) {
      if (ov[1] >= len) break;
      pos = ov[1] + 1;
      while (pos < len && (static_cast<unsigned char>(buf[pos]) & 0xC0) == 0x80) ++pos;
    } else {
      pos = ov[1];
    }
  }
  pcre2_match_data_free(md);
}

}  // namespace transformers::tokenizers
