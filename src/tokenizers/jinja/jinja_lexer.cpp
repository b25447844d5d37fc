#include "tokenizers/jinja/jinja_lexer.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <utility>

#include "tokenizers/jinja/jinja_strings.hpp"

namespace transformers::jinja {

namespace {

// Text with, for every byte, the offset in the original source it came from (plus one entry for the end).
struct Mapped {
  std::string text;
  std::vector<uint32_t> origin;

  void append(const Mapped& from, size_t begin, size_t end) {
    text.append(from.text, begin, end - begin);
    origin.insert(origin.end(), from.origin.begin() + static_cast<std::ptrdiff_t>(begin),
                  from.origin.begin() + static_cast<std::ptrdiff_t>(end));
  }
  void finish(const Mapped& from) { origin.push_back(from.origin.back()); }
};

bool starts_with(std::string_view s, size_t pos, std::string_view prefix) {
  return pos <= s.size() && s.substr(pos, prefix.size()) == prefix;
}
bool one_of(char c, const char* set) { return c != '\0' && std::strchr(set, c) != nullptr; }

bool is_line_terminator_at(std::string_view s, size_t i, size_t& len) {
  if (s[i] == '\n' || s[i] == '\r') {
    len = 1;
    return true;
  }
  if (starts_with(s, i, "\xE2\x80\xA8") || starts_with(s, i, "\xE2\x80\xA9")) {
    len = 3;
    return true;
  }
  return false;
}

// lstrip_blocks: /^[ \t]*({[#%-])/gm -> "$1".
Mapped lstrip_blocks(const Mapped& in) {
  Mapped out;
  const std::string_view s = in.text;
  bool line_start = true;
  for (size_t i = 0; i < s.size();) {
    if (line_start) {
      size_t j = i;
      while (j < s.size() && (s[j] == ' ' || s[j] == '\t')) ++j;
      if (j + 1 < s.size() && s[j] == '{' && one_of(s[j + 1], "#%-")) i = j;
      line_start = false;
      if (i >= s.size()) break;
    }
    size_t len = 1;
    line_start = is_line_terminator_at(s, i, len);
    out.append(in, i, i + len);
    i += len;
  }
  out.finish(in);
  return out;
}

// trim_blocks: /([#%-]})\n/g -> "$1".
Mapped trim_blocks(const Mapped& in) {
  Mapped out;
  const std::string_view s = in.text;
  for (size_t i = 0; i < s.size();) {
    if (i + 2 < s.size() && one_of(s[i], "#%-") && s[i + 1] == '}' && s[i + 2] == '\n') {
      out.append(in, i, i + 2);
      i += 3;
    } else {
      out.append(in, i, i + 1);
      ++i;
    }
  }
  out.finish(in);
  return out;
}

size_t skip_spaces(std::string_view s, size_t i) {
  while (size_t n = text::space_at(s, i)) i += n;
  return i;
}

// The whitespace character ending just before `end` (not before `floor`), or 0.
size_t space_before(std::string_view s, size_t end, size_t floor) {
  for (size_t len = 1; len <= 3 && end >= floor + len; ++len)
    if (text::space_at(s, end - len) == len) return len;
  return 0;
}

// The transformers {% generation %} / {% endgeneration %} tags at s[t] ("{%" there): the end of the tag
// and whether it has the - modifiers, or 0.
size_t generation_tag(std::string_view s, size_t t, bool& lstrip, bool& rstrip) {
  size_t i = t + 2;
  lstrip = i < s.size() && s[i] == '-';
  if (lstrip) ++i;
  i = skip_spaces(s, i);
  if (starts_with(s, i, "end")) i += 3;
  if (!starts_with(s, i, "generation")) return 0;
  i = skip_spaces(s, i + 10);
  rstrip = i < s.size() && s[i] == '-';
  if (rstrip) ++i;
  return starts_with(s, i, "%}") ? i + 2 : 0;
}

// /(\s*){%(-?)\s*(?:end)?generation\s*(-?)%}(\s*)/gs -> (lstrip ? "" : before) + (rstrip ? "" : after).
Mapped strip_generation_tags(const Mapped& in) {
  Mapped out;
  const std::string_view s = in.text;
  size_t copied = 0;
  for (size_t t = s.find("{%"); t != std::string_view::npos; t = s.find("{%", t + 1)) {
    if (t < copied) continue;
    bool lstrip = false, rstrip = false;
    const size_t tag_end = generation_tag(s, t, lstrip, rstrip);
    if (tag_end == 0) continue;
    size_t before = t;
    while (size_t n = space_before(s, before, copied)) before -= n;
    const size_t after = skip_spaces(s, tag_end);
    out.append(in, copied, before);
    if (!lstrip) out.append(in, before, t);
    if (!rstrip) out.append(in, tag_end, after);
    copied = after;
    t = after == 0 ? 0 : after - 1;
  }
  out.append(in, copied, s.size());
  out.finish(in);
  return out;
}

Mapped preprocess(std::string_view source) {
  Mapped m;
  m.text = std::string(source);
  m.origin.resize(source.size() + 1);
  for (size_t i = 0; i <= source.size(); ++i) m.origin[i] = static_cast<uint32_t>(i);
  if (!m.text.empty() && m.text.back() == '\n') {  // a single trailing newline is dropped
    m.text.pop_back();
    m.origin.pop_back();
  }
  return strip_generation_tags(trim_blocks(lstrip_blocks(m)));
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_word(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

constexpr std::array<std::pair<std::string_view, TokenType>, 29> kOperators{{
    {"{%", TokenType::open_statement},
    {"%}", TokenType::close_statement},
    {"{{", TokenType::open_expression},
    {"}}", TokenType::close_expression},
    {"(", TokenType::open_paren},
    {")", TokenType::close_paren},
    {"{", TokenType::open_curly_bracket},
    {"}", TokenType::close_curly_bracket},
    {"[", TokenType::open_square_bracket},
    {"]", TokenType::close_square_bracket},
    {",", TokenType::comma},
    {".", TokenType::dot},
    {":", TokenType::colon},
    {"|", TokenType::pipe},
    {"<=", TokenType::comparison_operator},
    {">=", TokenType::comparison_operator},
    {"==", TokenType::comparison_operator},
    {"!=", TokenType::comparison_operator},
    {"<", TokenType::comparison_operator},
    {">", TokenType::comparison_operator},
    {"+", TokenType::additive_operator},
    {"-", TokenType::additive_operator},
    {"~", TokenType::additive_operator},
    {"**", TokenType::exponentiation_operator},
    {"*", TokenType::multiplicative_operator},
    {"//", TokenType::multiplicative_operator},
    {"/", TokenType::multiplicative_operator},
    {"%", TokenType::multiplicative_operator},
    {"=", TokenType::equals},
}};

class Lexer {
 public:
  explicit Lexer(const Mapped& m) : src_(m.text), origin_(m.origin) {}

  std::vector<Token> run() {
    while (pos_ < src_.size()) step();
    return std::move(tokens_);
  }

 private:
  const std::string& src_;
  const std::vector<uint32_t>& origin_;
  size_t pos_ = 0;
  int curly_depth_ = 0;
  std::vector<Token> tokens_;

  [[noreturn]] void fail(const std::string& message, size_t at) const {
    throw SyntaxError{message, origin_[std::min(at, src_.size())]};
  }
  void push(TokenType type, std::string value, size_t start) {
    tokens_.push_back({type, std::move(value), origin_[start]});
  }
  bool last_is(std::initializer_list<TokenType> types) const {
    if (tokens_.empty()) return false;
    for (TokenType t : types)
      if (tokens_.back().type == t) return true;
    return false;
  }
  char at(size_t i) const { return i < src_.size() ? src_[i] : '\0'; }

  void strip_trailing_whitespace() {
    if (tokens_.empty() || tokens_.back().type != TokenType::text) return;
    tokens_.back().value = std::string(text::trim_end(tokens_.back().value));
    if (tokens_.back().value.empty()) tokens_.pop_back();
  }

  void step() {
    const size_t start = pos_;
    if (tokens_.empty() || last_is({TokenType::close_statement, TokenType::close_expression, TokenType::comment})) {
      while (pos_ < src_.size() && !(src_[pos_] == '{' && one_of(at(pos_ + 1), "%{#"))) ++pos_;
      if (pos_ > start) {
        push(TokenType::text, src_.substr(start, pos_ - start), start);
        return;
      }
    }
    if (starts_with(src_, pos_, "{#")) return comment();
    if (starts_with(src_, pos_, "{%-")) {
      strip_trailing_whitespace();
      push(TokenType::open_statement, "{%", pos_);
      pos_ += 3;
      return;
    }
    if (starts_with(src_, pos_, "{{-")) {
      strip_trailing_whitespace();
      push(TokenType::open_expression, "{{", pos_);
      curly_depth_ = 0;
      pos_ += 3;
      return;
    }
    pos_ = skip_spaces(src_, pos_);
    if (pos_ >= src_.size()) fail("unexpected end of template inside a tag", pos_);
    if (starts_with(src_, pos_, "-%}") || starts_with(src_, pos_, "-}}")) {
      const bool statement = src_[pos_ + 1] == '%';
      push(statement ? TokenType::close_statement : TokenType::close_expression, statement ? "%}" : "}}", pos_);
      pos_ = skip_spaces(src_, pos_ + 3);
      return;
    }
    const size_t here = pos_;
    const char c = src_[pos_];
    if ((c == '-' || c == '+') && !sign_is_binary()) return unary(c);
    for (const auto& [seq, type] : kOperators) {
      if (seq == "}}" && curly_depth_ > 0) continue;
      if (!starts_with(src_, pos_, seq)) continue;
      push(type, std::string(seq), pos_);
      if (type == TokenType::open_expression) curly_depth_ = 0;
      if (type == TokenType::open_curly_bracket) ++curly_depth_;
      if (type == TokenType::close_curly_bracket) --curly_depth_;
      pos_ += seq.size();
      return;
    }
    if (c == '\'' || c == '"') return string_literal(c);
    if (is_digit(c)) {
      std::string num = digits();
      if (!last_is({TokenType::dot}) && at(pos_) == '.' && is_digit(at(pos_ + 1))) {
        ++pos_;
        num += "." + digits();
      }
      push(TokenType::numeric_literal, std::move(num), here);
      return;
    }
    if (is_word(c)) {
      const size_t word_start = pos_;
      while (pos_ < src_.size() && is_word(src_[pos_])) ++pos_;
      push(TokenType::identifier, src_.substr(word_start, pos_ - word_start), word_start);
      return;
    }
    char32_t cp;
    const size_t len = text::decode(src_, pos_, cp);
    fail("unexpected character '" + src_.substr(pos_, len) + "'", pos_);
  }

  // A + or - right after an operand is binary; anywhere else it is a sign (and a number literal's).
  bool sign_is_binary() const {
    if (tokens_.empty() || last_is({TokenType::text}))
      fail(std::string("unexpected character '") + src_[pos_] + "'", pos_);
    return last_is({TokenType::identifier, TokenType::numeric_literal, TokenType::string_literal,
                    TokenType::close_paren, TokenType::close_square_bracket});
  }

  void unary(char sign) {
    const size_t start = pos_++;
    std::string num = digits();
    if (!num.empty() && at(pos_) == '.' && is_digit(at(pos_ + 1))) {
      ++pos_;
      num += "." + digits();
    }
    if (num.empty())
      push(TokenType::unary_operator, std::string(1, sign), start);
    else
      push(TokenType::numeric_literal, sign + num, start);
  }

  std::string digits() {
    const size_t start = pos_;
    while (pos_ < src_.size() && is_digit(src_[pos_])) ++pos_;
    return src_.substr(start, pos_ - start);
  }

  void comment() {
    const size_t start = pos_;
    pos_ += 2;
    const bool strip_before = at(pos_) == '-';
    if (strip_before) ++pos_;
    const size_t body = pos_;
    const size_t close = src_.find("#}", pos_);
    if (close == std::string::npos) fail("comment '{#' is never closed with '#}'", start);
    std::string value = src_.substr(body, close - body);
    const bool strip_after = !value.empty() && value.back() == '-';
    if (strip_after) value.pop_back();
    if (strip_before) strip_trailing_whitespace();
    push(TokenType::comment, std::move(value), start);
    pos_ = close + 2;
    if (strip_after) pos_ = skip_spaces(src_, pos_);
  }

  // Escapes: \n \t \r \b \f \v \' \" \\ only (the @huggingface/jinja 0.5.10 that Transformers.js 4.3.1 bundles
  // has no \x or \u escapes).
  void string_literal(char quote) {
    const size_t start = pos_++;
    std::string value;
    while (pos_ < src_.size() && src_[pos_] != quote) {
      if (src_[pos_] != '\\') {
        value += src_[pos_++];
        continue;
      }
      const size_t escape_at = pos_++;
      if (pos_ >= src_.size()) break;
      const char e = src_[pos_++];
      static constexpr std::pair<char, char> kEscapes[] = {{'n', '\n'},  {'t', '\t'}, {'r', '\r'},
                                                           {'b', '\b'},  {'f', '\f'}, {'v', '\v'},
                                                           {'\'', '\''}, {'"', '"'},  {'\\', '\\'}};
      const auto* it = std::find_if(std::begin(kEscapes), std::end(kEscapes), [&](auto& p) { return p.first == e; });
      if (it == std::end(kEscapes)) {
        char32_t cp;
        const size_t len = text::decode(src_, pos_ - 1, cp);
        fail("unknown escape sequence '\\" + src_.substr(pos_ - 1, len) + "'", escape_at);
      }
      value += it->second;
    }
    if (pos_ >= src_.size()) fail("string literal is never closed", start);
    ++pos_;
    push(TokenType::string_literal, std::move(value), start);
  }
};

}  // namespace

const char* token_type_name(TokenType type) {
  switch (type) {
    case TokenType::text:
      return "text";
    case TokenType::numeric_literal:
      return "number";
    case TokenType::string_literal:
      return "string";
    case TokenType::identifier:
      return "identifier";
    case TokenType::equals:
      return "'='";
    case TokenType::open_paren:
      return "'('";
    case TokenType::close_paren:
      return "')'";
    case TokenType::open_statement:
      return "'{%'";
    case TokenType::close_statement:
      return "'%}'";
    case TokenType::open_expression:
      return "'{{'";
    case TokenType::close_expression:
      return "'}}'";
    case TokenType::open_square_bracket:
      return "'['";
    case TokenType::close_square_bracket:
      return "']'";
    case TokenType::open_curly_bracket:
      return "'{'";
    case TokenType::close_curly_bracket:
      return "'}'";
    case TokenType::comma:
      return "','";
    case TokenType::dot:
      return "'.'";
    case TokenType::colon:
      return "':'";
    case TokenType::pipe:
      return "'|'";
    case TokenType::additive_operator:
      return "an operator";
    case TokenType::multiplicative_operator:
      return "an operator";
    case TokenType::exponentiation_operator:
      return "'**'";
    case TokenType::comparison_operator:
      return "a comparison";
    case TokenType::unary_operator:
      return "a sign";
    case TokenType::comment:
      return "a comment";
  }
  return "a token";
}

std::string describe(const Token& token) {
  switch (token.type) {
    case TokenType::identifier:
      return "'" + token.value + "'";
    case TokenType::numeric_literal:
      return "number " + token.value;
    case TokenType::string_literal:
      return "string '" + token.value.substr(0, 40) + "'";
    case TokenType::text:
      return "text";
    case TokenType::comment:
      return "a comment";
    default:
      return "'" + token.value + "'";
  }
}

std::vector<Token> tokenize(std::string_view source) {
  const Mapped m = preprocess(source);
  return Lexer(m).run();
}

Location locate(std::string_view source, uint32_t offset) {
  Location loc{1, 1};
  for (size_t i = 0; i < offset && i < source.size();) {
    char32_t cp;
    const size_t n = text::decode(source, i, cp);
    if (source[i] == '\n') {
      ++loc.line;
      loc.column = 1;
    } else {
      ++loc.column;
    }
    i += n;
  }
  return loc;
}

}  // namespace transformers::jinja
