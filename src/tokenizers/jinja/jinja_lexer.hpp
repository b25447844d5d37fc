// The Jinja lexer: @huggingface/jinja's preprocessing (lstrip_blocks, trim_blocks, the trailing newline,
// {% generation %} tags) and tokens, each remembering where it starts in the original source.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace transformers::jinja {

enum class TokenType : uint8_t {
  text,
  numeric_literal,
  string_literal,
  identifier,
  equals,
  open_paren,
  close_paren,
  open_statement,
  close_statement,
  open_expression,
  close_expression,
  open_square_bracket,
  close_square_bracket,
  open_curly_bracket,
  close_curly_bracket,
  comma,
  dot,
  colon,
  pipe,
  additive_operator,        // + - ~
  multiplicative_operator,  // * / // %
  exponentiation_operator,  // **
  comparison_operator,      // < > <= >= == !=
  unary_operator,           // a lone - or + before an operand
  comment,
};

struct Token {
  TokenType type;
  std::string value;
  uint32_t offset;  // byte offset of the token in the original (not preprocessed) source
};

// A syntax error from the lexer or the parser, at a byte offset of the original source.
struct SyntaxError {
  std::string message;
  uint32_t offset;
};

// "'%}'", "identifier 'foo'", "text", ... for messages.
std::string describe(const Token& token);
const char* token_type_name(TokenType type);

// Throws SyntaxError.
std::vector<Token> tokenize(std::string_view source);

// 1-based line and column (in code points) of a byte offset.
struct Location {
  uint32_t line, column;
};
Location locate(std::string_view source, uint32_t offset);

}  // namespace transformers::jinja
