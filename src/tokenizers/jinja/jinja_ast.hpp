// The Jinja syntax tree: @huggingface/jinja's node types, each with the source offset it starts at.
// Text between tags is a StringLiteral statement, as in @huggingface/jinja.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace transformers::jinja {

enum class NodeType : uint8_t {
  program,
  if_statement,
  for_statement,
  break_statement,
  continue_statement,
  set_statement,
  macro,
  comment,
  call_statement,
  filter_statement,
  // expressions
  member,
  call,
  identifier,
  integer_literal,
  float_literal,
  string_literal,
  array_literal,
  tuple_literal,
  object_literal,
  binary,
  filter,
  select,
  test,
  unary,
  slice,
  keyword_argument,
  spread,
  keyword_spread,
  ternary,
};

// @huggingface/jinja's name of a node type ("Identifier", "MemberExpression", ...), for messages.
const char* node_type_name(NodeType type);

struct Node {
  NodeType type;
  uint32_t offset;
  Node(NodeType t, uint32_t o) : type(t), offset(o) {}
  virtual ~Node() = default;
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;
};
using NodePtr = std::unique_ptr<Node>;
using Block = std::vector<NodePtr>;

template <class T>
const T& as(const Node& n) {
  return static_cast<const T&>(n);
}

struct Program : Node {
  Block body;
  explicit Program(uint32_t o) : Node(NodeType::program, o) {}
};

struct If : Node {
  NodePtr test;
  Block body, alternate;
  explicit If(uint32_t o) : Node(NodeType::if_statement, o) {}
};

struct For : Node {
  NodePtr loopvar;   // Identifier or TupleLiteral
  NodePtr iterable;  // a SelectExpression filters the items
  Block body, default_block;
  explicit For(uint32_t o) : Node(NodeType::for_statement, o) {}
};

struct Set : Node {
  NodePtr assignee;
  NodePtr value;  // null: the value is the rendered body ({% set x %}...{% endset %})
  Block body;
  explicit Set(uint32_t o) : Node(NodeType::set_statement, o) {}
};

// Which of Jinja's special macro variables a body reads before declaring them.
struct SpecialArguments {
  bool kwargs = false, varargs = false;
};

struct Macro : Node {
  std::string name;
  std::vector<NodePtr> params;  // Identifier or KeywordArgument (a default)
  Block body;
  SpecialArguments special;
  explicit Macro(uint32_t o) : Node(NodeType::macro, o) {}
};

struct CallExpression;

struct CallStatement : Node {
  std::unique_ptr<CallExpression> call;
  std::optional<std::vector<NodePtr>> caller_params;
  Block body;
  SpecialArguments special;
  explicit CallStatement(uint32_t o) : Node(NodeType::call_statement, o) {}
};

struct FilterStatement : Node {
  NodePtr filter;  // Identifier or CallExpression (anything else fails when rendered)
  Block body;
  explicit FilterStatement(uint32_t o) : Node(NodeType::filter_statement, o) {}
};

struct Comment : Node {
  explicit Comment(uint32_t o) : Node(NodeType::comment, o) {}
};

struct Member : Node {
  NodePtr object, property;
  bool computed;
  Member(uint32_t o, NodePtr obj, NodePtr prop, bool c)
      : Node(NodeType::member, o), object(std::move(obj)), property(std::move(prop)), computed(c) {}
};

struct CallExpression : Node {
  NodePtr callee;
  std::vector<NodePtr> args;
  CallExpression(uint32_t o, NodePtr c, std::vector<NodePtr> a)
      : Node(NodeType::call, o), callee(std::move(c)), args(std::move(a)) {}
};

struct Identifier : Node {
  std::string name;
  Identifier(uint32_t o, std::string n) : Node(NodeType::identifier, o), name(std::move(n)) {}
};

struct NumberLiteral : Node {  // integer_literal or float_literal
  double value;
  NumberLiteral(NodeType t, uint32_t o, double v) : Node(t, o), value(v) {}
};

struct StringLiteral : Node {
  std::string value;
  StringLiteral(uint32_t o, std::string v) : Node(NodeType::string_literal, o), value(std::move(v)) {}
};

struct ListLiteral : Node {  // array_literal or tuple_literal
  std::vector<NodePtr> items;
  ListLiteral(NodeType t, uint32_t o, std::vector<NodePtr> i) : Node(t, o), items(std::move(i)) {}
};

struct ObjectLiteral : Node {
  std::vector<std::pair<NodePtr, NodePtr>> entries;
  explicit ObjectLiteral(uint32_t o) : Node(NodeType::object_literal, o) {}
};

enum class BinaryOp : uint8_t {
  or_,
  and_,
  eq,
  ne,
  lt,
  gt,
  le,
  ge,
  in,
  not_in,
  add,
  sub,
  concat,
  mul,
  div,
  floordiv,
  mod,
  pow
};

struct Binary : Node {
  BinaryOp op;
  std::string op_text;
  NodePtr left, right;
  Binary(uint32_t o, BinaryOp p, std::string text, NodePtr l, NodePtr r)
      : Node(NodeType::binary, o), op(p), op_text(std::move(text)), left(std::move(l)), right(std::move(r)) {}
};

struct Filter : Node {
  NodePtr operand;
  NodePtr filter;  // Identifier or CallExpression (anything else fails when rendered)
  Filter(uint32_t o, NodePtr a, NodePtr f) : Node(NodeType::filter, o), operand(std::move(a)), filter(std::move(f)) {}
};

struct Select : Node {  // `lhs if test` without else: undefined when the test fails
  NodePtr lhs, test;
  Select(uint32_t o, NodePtr l, NodePtr t) : Node(NodeType::select, o), lhs(std::move(l)), test(std::move(t)) {}
};

struct Test : Node {
  NodePtr operand;
  bool negate;
  std::string name;
  Test(uint32_t o, NodePtr a, bool n, std::string t)
      : Node(NodeType::test, o), operand(std::move(a)), negate(n), name(std::move(t)) {}
};

struct Unary : Node {
  std::string op;  // "not", "-", "+"
  NodePtr argument;
  Unary(uint32_t o, std::string p, NodePtr a) : Node(NodeType::unary, o), op(std::move(p)), argument(std::move(a)) {}
};

struct Slice : Node {
  NodePtr start, stop, step;  // each may be null
  explicit Slice(uint32_t o) : Node(NodeType::slice, o) {}
};

struct KeywordArgument : Node {
  std::string key;
  NodePtr value;
  KeywordArgument(uint32_t o, std::string k, NodePtr v)
      : Node(NodeType::keyword_argument, o), key(std::move(k)), value(std::move(v)) {}
};

struct Spread : Node {  // spread (*x) or keyword_spread (**x)
  NodePtr argument;
  Spread(NodeType t, uint32_t o, NodePtr a) : Node(t, o), argument(std::move(a)) {}
};

struct Ternary : Node {
  NodePtr condition, if_true, if_false;
  Ternary(uint32_t o, NodePtr c, NodePtr t, NodePtr f)
      : Node(NodeType::ternary, o), condition(std::move(c)), if_true(std::move(t)), if_false(std::move(f)) {}
};

// What a macro (or call block) with these parameters reads of kwargs / varargs (jinja_macro_args.cpp).
SpecialArguments special_arguments(const std::vector<NodePtr>& params, const Block& body);

// The parser: tokens to a Program (throws SyntaxError, see jinja_lexer.hpp).
struct Token;
std::unique_ptr<Program> parse(const std::vector<Token>& tokens, uint32_t source_size);

}  // namespace transformers::jinja
