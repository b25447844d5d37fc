// The parser: @huggingface/jinja's grammar and precedence (including what it tolerates, such as list
// items without commas), with errors that say what was expected and where.
#include <algorithm>
#include <initializer_list>
#include <set>
#include <string_view>

#include "tokenizers/jinja/jinja_ast.hpp"
#include "tokenizers/jinja/jinja_lexer.hpp"
#include "tokenizers/jinja/jinja_strings.hpp"

namespace transformers::jinja {

namespace {

// Deeper nesting than this (parentheses, brackets, blocks, chained calls) is refused rather than risking
// the stack; real chat templates nest a few levels.
constexpr int kMaxNesting = 200;

enum class ArgsMode { call, parameters };

class Parser {
 public:
  Parser(const std::vector<Token>& tokens, uint32_t end) : t_(tokens), end_(end) {}

  std::unique_ptr<Program> program() {
    auto p = std::make_unique<Program>(0);
    while (cur_ < t_.size()) p->body.push_back(any());
    return p;
  }

 private:
  const std::vector<Token>& t_;
  size_t cur_ = 0;
  uint32_t end_;
  int depth_ = 0;

  struct Nest {
    Parser& p;
    explicit Nest(Parser& parser) : p(parser) {
      if (++p.depth_ > kMaxNesting)
        p.fail("the template nests deeper than " + std::to_string(kMaxNesting) + " levels", p.offset());
    }
    ~Nest() { --p.depth_; }
  };

  [[noreturn]] void fail(const std::string& message, uint32_t at) const { throw SyntaxError{message, at}; }
  uint32_t offset() const { return cur_ < t_.size() ? t_[cur_].offset : end_; }
  std::string found() const { return cur_ < t_.size() ? describe(t_[cur_]) : "the end of the template"; }

  bool is(TokenType type) const { return cur_ < t_.size() && t_[cur_].type == type; }
  bool is_identifier(std::string_view name, size_t ahead = 0) const {
    return cur_ + ahead < t_.size() && t_[cur_ + ahead].type == TokenType::identifier && t_[cur_ + ahead].value == name;
  }
  bool is_statement(std::initializer_list<std::string_view> names) const {
    if (!is(TokenType::open_statement) || cur_ + 1 >= t_.size() || t_[cur_ + 1].type != TokenType::identifier)
      return false;
    return std::find(names.begin(), names.end(), t_[cur_ + 1].value) != names.end();
  }

  const Token& expect(TokenType type, const std::string& what) {
    if (!is(type)) fail("expected " + what + ", got " + found(), offset());
    return t_[cur_++];
  }
  void expect_identifier(std::string_view name, const std::string& what) {
    if (!is_identifier(name)) fail("expected " + what + ", got " + found(), offset());
    ++cur_;
  }
  const Token& next(const std::string& what) {
    if (cur_ >= t_.size()) fail("expected " + what + ", got the end of the template", end_);
    return t_[cur_++];
  }

  // Statements up to (not including) one of `names`; `opener` names the block in the error.
  Block until(std::initializer_list<std::string_view> names, const Token& opener, const std::string& block,
              const std::string& closer) {
    Block body;
    while (!is_statement(names)) {
      if (cur_ >= t_.size()) fail("'" + block + "' is never closed: expected '" + closer + "'", opener.offset);
      body.push_back(any());
    }
    return body;
  }
  void end_tag(std::string_view name) {
    expect(TokenType::open_statement, "'{% " + std::string(name) + " %}'");
    expect_identifier(name, "'" + std::string(name) + "'");
    expect(TokenType::close_statement, "'%}' after '" + std::string(name) + "'");
  }

  NodePtr any() {
    Nest nest(*this);
    const Token& tok = t_[cur_];
    switch (tok.type) {
      case TokenType::comment:
        ++cur_;
        return std::make_unique<Comment>(tok.offset);
      case TokenType::text:
        ++cur_;
        return std::make_unique<StringLiteral>(tok.offset, tok.value);
      case TokenType::open_statement:
        return statement();
      case TokenType::open_expression: {
        ++cur_;
        NodePtr e = expression();
        expect(TokenType::close_expression, "'}}' to close the expression opened at '{{'");
        return e;
      }
      default:
        fail("unexpected " + describe(tok) + " outside of a tag", tok.offset);
    }
  }

  NodePtr statement() {
    const Token& open = t_[cur_++];
    if (!is(TokenType::identifier)) fail("expected a statement name after '{%', got " + found(), offset());
    const std::string name = t_[cur_].value;
    const uint32_t at = open.offset;
    if (name == "set") {
      ++cur_;
      return set_statement(open);
    }
    if (name == "if") {
      ++cur_;
      auto node = if_statement(open);
      end_tag("endif");
      return node;
    }
    if (name == "macro") {
      ++cur_;
      auto node = std::make_unique<Macro>(at);
      NodePtr macro_name = primary();
      if (macro_name->type != NodeType::identifier) fail("expected a macro name after 'macro'", macro_name->offset);
      node->name = as<Identifier>(*macro_name).name;
      node->params = args(ArgsMode::parameters);
      expect(TokenType::close_statement, "'%}' after the macro's parameters");
      node->body = until({"endmacro"}, open, "{% macro " + node->name + " %}", "{% endmacro %}");
      end_tag("endmacro");
      node->special = special_arguments(node->params, node->body);
      return node;
    }
    if (name == "for") {
      ++cur_;
      auto node = for_statement(open);
      end_tag("endfor");
      return node;
    }
    if (name == "call") {
      ++cur_;
      auto node = std::make_unique<CallStatement>(at);
      if (is(TokenType::open_paren)) node->caller_params = args(ArgsMode::parameters);
      NodePtr callee = primary();
      if (callee->type != NodeType::identifier) fail("expected a macro name after 'call'", callee->offset);
      const uint32_t call_at = callee->offset;
      node->call = std::make_unique<CallExpression>(call_at, std::move(callee), args(ArgsMode::call));
      expect(TokenType::close_statement, "'%}' after the call");
      node->body = until({"endcall"}, open, "{% call %}", "{% endcall %}");
      end_tag("endcall");
      static const std::vector<NodePtr> kNone;
      node->special = special_arguments(node->caller_params ? *node->caller_params : kNone, node->body);
      return node;
    }
    if (name == "break" || name == "continue") {
      ++cur_;
      expect(TokenType::close_statement, "'%}' after '" + name + "'");
      if (name == "break") return std::make_unique<Node>(NodeType::break_statement, at);
      return std::make_unique<Node>(NodeType::continue_statement, at);
    }
    if (name == "filter") {
      ++cur_;
      auto node = std::make_unique<FilterStatement>(at);
      node->filter = primary();
      if (node->filter->type == NodeType::identifier && is(TokenType::open_paren))
        node->filter = call(std::move(node->filter));
      expect(TokenType::close_statement, "'%}' after the filter");
      node->body = until({"endfilter"}, open, "{% filter %}", "{% endfilter %}");
      end_tag("endfilter");
      return node;
    }
    if (name.rfind("end", 0) == 0 || name == "elif" || name == "else")
      fail("'{% " + name + " %}' closes no open block", open.offset);
    fail("unknown statement '" + name + "' (supported: set, if, for, macro, call, filter, break, continue)",
         t_[cur_].offset);
  }

  NodePtr set_statement(const Token& open) {
    auto node = std::make_unique<Set>(open.offset);
    node->assignee = expression_sequence(false);
    if (is(TokenType::equals)) {
      ++cur_;
      node->value = expression_sequence(false);
    } else {
      expect(TokenType::close_statement, "'=' or '%}' in the set statement");
      node->body = until({"endset"}, open, "{% set %}", "{% endset %}");
      expect(TokenType::open_statement, "'{% endset %}'");
      expect_identifier("endset", "'endset'");
    }
    expect(TokenType::close_statement, "'%}' to close the set statement");
    return node;
  }

  std::unique_ptr<If> if_statement(const Token& open) {
    auto node = std::make_unique<If>(open.offset);
    node->test = expression();
    expect(TokenType::close_statement, "'%}' after the if condition");
    node->body = until({"elif", "else", "endif"}, open, "{% if %}", "{% endif %}");
    if (is_statement({"elif"})) {
      const Token& elif = t_[cur_];
      cur_ += 2;
      node->alternate.push_back(if_statement(elif));
    } else if (is_statement({"else"})) {
      cur_ += 2;
      expect(TokenType::close_statement, "'%}' after 'else'");
      node->alternate = until({"endif"}, open, "{% if %}", "{% endif %}");
    }
    return node;
  }

  NodePtr for_statement(const Token& open) {
    auto node = std::make_unique<For>(open.offset);
    node->loopvar = expression_sequence(true);
    if (node->loopvar->type != NodeType::identifier && node->loopvar->type != NodeType::tuple_literal)
      fail(std::string("expected a loop variable name or names, got ") + node_type_name(node->loopvar->type),
           node->loopvar->offset);
    expect_identifier("in", "'in' after the loop variable");
    node->iterable = expression();
    expect(TokenType::close_statement, "'%}' after the for loop's iterable");
    node->body = until({"endfor", "else"}, open, "{% for %}", "{% endfor %}");
    if (is_statement({"else"})) {
      cur_ += 2;
      expect(TokenType::close_statement, "'%}' after 'else'");
      node->default_block = until({"endfor"}, open, "{% for %}", "{% endfor %}");
    }
    return node;
  }

  // `a, b, c` (a tuple) or a single expression; loop variables use primaries only.
  NodePtr expression_sequence(bool primary_only) {
    const uint32_t at = offset();
    std::vector<NodePtr> items;
    items.push_back(primary_only ? primary() : expression());
    const bool tuple = is(TokenType::comma);
    while (tuple) {
      ++cur_;
      items.push_back(primary_only ? primary() : expression());
      if (!is(TokenType::comma)) break;
    }
    if (!tuple) return std::move(items[0]);
    return std::make_unique<ListLiteral>(NodeType::tuple_literal, at, std::move(items));
  }

  NodePtr expression() {
    Nest nest(*this);
    return if_expression();
  }

  NodePtr if_expression() {
    NodePtr a = logical_or();
    if (!is_identifier("if")) return a;
    const uint32_t at = a->offset;
    ++cur_;
    NodePtr test = logical_or();
    if (is_identifier("else")) {
      ++cur_;
      Nest nest(*this);
      NodePtr otherwise = if_expression();
      return std::make_unique<Ternary>(at, std::move(test), std::move(a), std::move(otherwise));
    }
    return std::make_unique<Select>(at, std::move(a), std::move(test));
  }

  NodePtr binary_chain(NodePtr left, BinaryOp op, std::string text, NodePtr right) {
    const uint32_t at = left->offset;
    return std::make_unique<Binary>(at, op, std::move(text), std::move(left), std::move(right));
  }

  NodePtr logical_or() {
    NodePtr left = logical_and();
    while (is_identifier("or")) {
      ++cur_;
      left = binary_chain(std::move(left), BinaryOp::or_, "or", logical_and());
    }
    return left;
  }

  NodePtr logical_and() {
    NodePtr left = logical_not();
    while (is_identifier("and")) {
      ++cur_;
      left = binary_chain(std::move(left), BinaryOp::and_, "and", logical_not());
    }
    return left;
  }

  NodePtr logical_not() {
    NodePtr result;
    // As @huggingface/jinja: `not a not b` keeps only the last negation.
    while (is_identifier("not")) {
      Nest nest(*this);
      const uint32_t at = t_[cur_++].offset;
      result = std::make_unique<Unary>(at, "not", logical_not());
    }
    return result ? std::move(result) : comparison();
  }

  NodePtr comparison() {
    NodePtr left = additive();
    for (;;) {
      BinaryOp op;
      std::string text;
      if (is_identifier("not") && is_identifier("in", 1)) {
        op = BinaryOp::not_in, text = "not in";
        cur_ += 2;
      } else if (is_identifier("in")) {
        op = BinaryOp::in, text = "in";
        ++cur_;
      } else if (is(TokenType::comparison_operator)) {
        text = t_[cur_++].value;
        op = text == "=="   ? BinaryOp::eq
             : text == "!=" ? BinaryOp::ne
             : text == "<"  ? BinaryOp::lt
             : text == ">"  ? BinaryOp::gt
             : text == "<=" ? BinaryOp::le
                            : BinaryOp::ge;
      } else {
        return left;
      }
      left = binary_chain(std::move(left), op, std::move(text), additive());
    }
  }

  NodePtr additive() {
    NodePtr left = multiplicative();
    while (is(TokenType::additive_operator)) {
      std::string text = t_[cur_++].value;
      const BinaryOp op = text == "+" ? BinaryOp::add : text == "-" ? BinaryOp::sub : BinaryOp::concat;
      left = binary_chain(std::move(left), op, std::move(text), multiplicative());
    }
    return left;
  }

  NodePtr multiplicative() {
    NodePtr left = power();
    while (is(TokenType::multiplicative_operator)) {
      std::string text = t_[cur_++].value;
      const BinaryOp op = text == "*"    ? BinaryOp::mul
                          : text == "/"  ? BinaryOp::div
                          : text == "//" ? BinaryOp::floordiv
                                         : BinaryOp::mod;
      left = binary_chain(std::move(left), op, std::move(text), power());
    }
    return left;
  }

  NodePtr power() {  // left-associative, as Jinja's
    NodePtr left = test_expression();
    while (is(TokenType::exponentiation_operator)) {
      ++cur_;
      left = binary_chain(std::move(left), BinaryOp::pow, "**", test_expression());
    }
    return left;
  }

  NodePtr test_expression() {
    NodePtr operand = filter_expression();
    while (is_identifier("is")) {
      ++cur_;
      const bool negate = is_identifier("not");
      if (negate) ++cur_;
      NodePtr name = primary();
      if (name->type != NodeType::identifier) fail("expected a test name after 'is'", name->offset);
      const uint32_t at = operand->offset;
      operand = std::make_unique<Test>(at, std::move(operand), negate, as<Identifier>(*name).name);
    }
    return operand;
  }

  NodePtr filter_expression() {
    NodePtr operand = unary_sign();
    while (is(TokenType::pipe)) {
      ++cur_;
      NodePtr filter = primary();
      if (filter->type != NodeType::identifier) fail("expected a filter name after '|'", filter->offset);
      if (is(TokenType::open_paren)) filter = call(std::move(filter));
      const uint32_t at = operand->offset;
      operand = std::make_unique<Filter>(at, std::move(operand), std::move(filter));
    }
    return operand;
  }

  NodePtr unary_sign() {
    if ((is(TokenType::unary_operator) || is(TokenType::additive_operator)) &&
        (t_[cur_].value == "-" || t_[cur_].value == "+")) {
      Nest nest(*this);
      const Token& op = t_[cur_++];
      return std::make_unique<Unary>(op.offset, op.value, unary_sign());
    }
    NodePtr member_expr = member(primary());
    if (is(TokenType::open_paren)) return call(std::move(member_expr));
    return member_expr;
  }

  NodePtr call(NodePtr callee) {
    Nest nest(*this);
    const uint32_t at = callee->offset;
    NodePtr expr = std::make_unique<CallExpression>(at, std::move(callee), args(ArgsMode::call));
    expr = member(std::move(expr));
    if (is(TokenType::open_paren)) expr = call(std::move(expr));
    return expr;
  }

  std::vector<NodePtr> args(ArgsMode mode) {
    expect(TokenType::open_paren,
           mode == ArgsMode::call ? "'(' to start the arguments" : "'(' to start the parameters");
    std::vector<NodePtr> list = argument_list(mode);
    expect(TokenType::close_paren, "')' to end the argument list");
    return list;
  }

  std::vector<NodePtr> argument_list(ArgsMode mode) {
    std::vector<NodePtr> list;
    std::set<std::string> names;
    bool saw_keyword = false, saw_spread = false;
    while (!is(TokenType::close_paren)) {
      if (cur_ >= t_.size()) fail("expected ')' to end the argument list, got the end of the template", end_);
      const uint32_t at = offset();
      const bool keyword_spread = is(TokenType::exponentiation_operator);
      const bool positional_spread = is(TokenType::multiplicative_operator) && t_[cur_].value == "*";
      if (mode == ArgsMode::parameters && (keyword_spread || positional_spread))
        fail("argument unpacking is not allowed in parameter declarations", at);
      if (keyword_spread) {
        ++cur_;
        list.push_back(std::make_unique<Spread>(NodeType::keyword_spread, at, expression()));
        if (is(TokenType::comma)) ++cur_;
        if (!is(TokenType::close_paren)) fail("'**' must be applied to the final argument", offset());
        break;
      }
      NodePtr argument;
      if (positional_spread) {
        if (saw_spread) fail("only one '*' argument unpacking is allowed", at);
        saw_spread = true;
        ++cur_;
        argument = std::make_unique<Spread>(NodeType::spread, at, expression());
      } else {
        argument = expression();
        if (is(TokenType::equals)) {
          ++cur_;
          if (argument->type != NodeType::identifier)
            fail(mode == ArgsMode::parameters ? "expected a parameter name before '='"
                                              : "expected a keyword name before '='",
                 argument->offset);
          std::string key = as<Identifier>(*argument).name;
          argument = std::make_unique<KeywordArgument>(at, std::move(key), expression());
        }
        if (mode == ArgsMode::parameters) {
          if (argument->type != NodeType::identifier && argument->type != NodeType::keyword_argument)
            fail("expected a parameter name", argument->offset);
          const std::string& pname = argument->type == NodeType::identifier ? as<Identifier>(*argument).name
                                                                            : as<KeywordArgument>(*argument).key;
          if (!names.insert(pname).second) fail("duplicate parameter name '" + pname + "'", argument->offset);
        }
        if (argument->type == NodeType::keyword_argument) {
          saw_keyword = true;
        } else if (saw_keyword) {
          fail(mode == ArgsMode::call ? "positional arguments must come before keyword arguments"
                                      : "a parameter without a default follows one with a default",
               argument->offset);
        } else if (saw_spread) {
          fail("positional arguments must not follow '*' argument unpacking", argument->offset);
        }
      }
      list.push_back(std::move(argument));
      if (is(TokenType::comma)) ++cur_;
    }
    return list;
  }

  // Inside [...]: an index, or a slice of up to three parts.
  NodePtr subscript() {
    std::vector<NodePtr> parts;
    bool slice = false;
    const uint32_t at = offset();
    while (!is(TokenType::close_square_bracket)) {
      if (cur_ >= t_.size()) fail("expected ']', got the end of the template", end_);
      if (is(TokenType::colon)) {
        parts.push_back(nullptr);
        ++cur_;
        slice = true;
      } else {
        parts.push_back(expression());
        if (is(TokenType::colon)) {
          ++cur_;
          slice = true;
        }
      }
    }
    if (parts.empty()) fail("expected an index or a slice inside '[]'", at);
    if (!slice) return std::move(parts[0]);
    if (parts.size() > 3) fail("a slice takes at most 3 parts (start:stop:step)", at);
    auto node = std::make_unique<Slice>(at);
    node->start = std::move(parts[0]);
    if (parts.size() > 1) node->stop = std::move(parts[1]);
    if (parts.size() > 2) node->step = std::move(parts[2]);
    return node;
  }

  NodePtr member(NodePtr object) {
    while (is(TokenType::dot) || is(TokenType::open_square_bracket)) {
      const bool computed = is(TokenType::open_square_bracket);
      ++cur_;
      NodePtr property;
      if (computed) {
        Nest nest(*this);
        property = subscript();
        expect(TokenType::close_square_bracket, "']'");
      } else {
        property = primary();
        if (property->type != NodeType::identifier && property->type != NodeType::integer_literal)
          fail("expected a name or an integer after '.'", property->offset);
      }
      const uint32_t at = object->offset;
      object = std::make_unique<Member>(at, std::move(object), std::move(property), computed);
    }
    return object;
  }

  NodePtr primary() {
    const Token& tok = next("an expression");
    switch (tok.type) {
      case TokenType::numeric_literal: {
        const double v = text::string_to_number(tok.value);
        const bool is_float = tok.value.find('.') != std::string::npos;
        return std::make_unique<NumberLiteral>(is_float ? NodeType::float_literal : NodeType::integer_literal,
                                               tok.offset, v);
      }
      case TokenType::string_literal: {
        std::string value = tok.value;
        while (is(TokenType::string_literal)) value += t_[cur_++].value;  // adjacent literals concatenate
        return std::make_unique<StringLiteral>(tok.offset, std::move(value));
      }
      case TokenType::identifier:
        return std::make_unique<Identifier>(tok.offset, tok.value);
      case TokenType::open_paren: {
        NodePtr e = expression_sequence(false);
        expect(TokenType::close_paren, "')'");
        return e;
      }
      case TokenType::open_square_bracket: {
        std::vector<NodePtr> items;
        while (!is(TokenType::close_square_bracket)) {
          if (cur_ >= t_.size()) fail("the list opened here is never closed with ']'", tok.offset);
          items.push_back(expression());
          if (is(TokenType::comma)) ++cur_;
        }
        ++cur_;
        return std::make_unique<ListLiteral>(NodeType::array_literal, tok.offset, std::move(items));
      }
      case TokenType::open_curly_bracket: {
        auto node = std::make_unique<ObjectLiteral>(tok.offset);
        while (!is(TokenType::close_curly_bracket)) {
          if (cur_ >= t_.size()) fail("the mapping opened here is never closed with '}'", tok.offset);
          NodePtr key = expression();
          expect(TokenType::colon, "':' between a key and its value");
          NodePtr value = expression();
          node->entries.emplace_back(std::move(key), std::move(value));
          if (is(TokenType::comma)) ++cur_;
        }
        ++cur_;
        return node;
      }
      default:
        fail("expected an expression, got " + describe(tok), tok.offset);
    }
  }
};

}  // namespace

const char* node_type_name(NodeType type) {
  switch (type) {
    case NodeType::program:
      return "Program";
    case NodeType::if_statement:
      return "If";
    case NodeType::for_statement:
      return "For";
    case NodeType::break_statement:
      return "Break";
    case NodeType::continue_statement:
      return "Continue";
    case NodeType::set_statement:
      return "Set";
    case NodeType::macro:
      return "Macro";
    case NodeType::comment:
      return "Comment";
    case NodeType::call_statement:
      return "CallStatement";
    case NodeType::filter_statement:
      return "FilterStatement";
    case NodeType::member:
      return "MemberExpression";
    case NodeType::call:
      return "CallExpression";
    case NodeType::identifier:
      return "Identifier";
    case NodeType::integer_literal:
      return "IntegerLiteral";
    case NodeType::float_literal:
      return "FloatLiteral";
    case NodeType::string_literal:
      return "StringLiteral";
    case NodeType::array_literal:
      return "ArrayLiteral";
    case NodeType::tuple_literal:
      return "TupleLiteral";
    case NodeType::object_literal:
      return "ObjectLiteral";
    case NodeType::binary:
      return "BinaryExpression";
    case NodeType::filter:
      return "FilterExpression";
    case NodeType::select:
      return "SelectExpression";
    case NodeType::test:
      return "TestExpression";
    case NodeType::unary:
      return "UnaryExpression";
    case NodeType::slice:
      return "SliceExpression";
    case NodeType::keyword_argument:
      return "KeywordArgumentExpression";
    case NodeType::spread:
      return "SpreadExpression";
    case NodeType::keyword_spread:
      return "KeywordSpreadExpression";
    case NodeType::ternary:
      return "Ternary";
  }
  return "Node";
}

std::unique_ptr<Program> parse(const std::vector<Token>& tokens, uint32_t source_size) {
  return Parser(tokens, source_size).program();
}

}  // namespace transformers::jinja
