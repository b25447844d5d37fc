// Which of Jinja's special macro variables (kwargs, varargs) a macro or call block reads before declaring
// them, visiting the tree in Jinja's order as @huggingface/jinja's findAccessedSpecialMacroArguments does:
// only then does a call bind them, and only then may it pass extra arguments.
#include <set>
#include <string>

#include "tokenizers/jinja/jinja_ast.hpp"

namespace transformers::jinja {

namespace {

struct Special {
  std::set<std::string> declared;
  SpecialArguments accessed;

  static bool special(const std::string& n) { return n == "kwargs" || n == "varargs"; }
  void declare(const std::string& n) {
    if (special(n)) declared.insert(n);
  }
  void declare_target(const Node& t) {
    if (t.type == NodeType::identifier) declare(as<Identifier>(t).name);
    if (t.type == NodeType::tuple_literal)
      for (const auto& i : as<ListLiteral>(t).items) declare_target(*i);
  }
  void declare_param(const Node& p) {
    declare(p.type == NodeType::identifier ? as<Identifier>(p).name : as<KeywordArgument>(p).key);
  }
  void param_defaults(const std::vector<NodePtr>& params) {
    for (const auto& p : params)
      if (p->type == NodeType::keyword_argument) visit(as<KeywordArgument>(*p).value.get());
  }
  void visit(const std::vector<NodePtr>& nodes) {
    for (const auto& n : nodes) visit(n.get());
  }
  void filter(const Node& f) {
    if (f.type == NodeType::call) visit(as<CallExpression>(f).args);
  }
  void visit(const Node* n) {
    if (n == nullptr) return;
    switch (n->type) {
      case NodeType::program:
        return visit(as<Program>(*n).body);
      case NodeType::if_statement: {
        const auto& s = as<If>(*n);
        visit(s.test.get());
        visit(s.body);
        return visit(s.alternate);
      }
      case NodeType::for_statement: {
        const auto& s = as<For>(*n);
        declare_target(*s.loopvar);
        if (s.iterable->type == NodeType::select) {  // Jinja visits a loop's condition after its body
          visit(as<Select>(*s.iterable).lhs.get());
          visit(s.body);
          visit(s.default_block);
          return visit(as<Select>(*s.iterable).test.get());
        }
        visit(s.iterable.get());
        visit(s.body);
        return visit(s.default_block);
      }
      case NodeType::set_statement: {
        const auto& s = as<Set>(*n);
        declare_target(*s.assignee);
        visit(s.value.get());
        return visit(s.body);
      }
      case NodeType::macro: {
        const auto& s = as<Macro>(*n);
        for (const auto& p : s.params) declare_param(*p);
        param_defaults(s.params);
        return visit(s.body);
      }
      case NodeType::call_statement: {
        const auto& s = as<CallStatement>(*n);
        visit(s.call.get());
        if (s.caller_params) {
          for (const auto& p : *s.caller_params) declare_param(*p);
          param_defaults(*s.caller_params);
        }
        return visit(s.body);
      }
      case NodeType::filter_statement: {
        const auto& s = as<FilterStatement>(*n);
        visit(s.body);
        return filter(*s.filter);
      }
      case NodeType::identifier: {
        const std::string& name = as<Identifier>(*n).name;
        if (special(name) && declared.count(name) == 0) (name == "kwargs" ? accessed.kwargs : accessed.varargs) = true;
        return;
      }
      case NodeType::member: {
        const auto& m = as<Member>(*n);
        visit(m.object.get());
        if (m.computed) visit(m.property.get());
        return;
      }
      case NodeType::filter: {
        const auto& f = as<Filter>(*n);
        visit(f.operand.get());
        return filter(*f.filter);
      }
      case NodeType::test:
        return visit(as<Test>(*n).operand.get());
      case NodeType::select: {
        const auto& s = as<Select>(*n);
        visit(s.test.get());
        return visit(s.lhs.get());
      }
      case NodeType::keyword_argument:
        return visit(as<KeywordArgument>(*n).value.get());
      case NodeType::call: {
        const auto& c = as<CallExpression>(*n);
        visit(c.callee.get());
        return visit(c.args);
      }
      case NodeType::array_literal:
      case NodeType::tuple_literal:
        return visit(as<ListLiteral>(*n).items);
      case NodeType::object_literal:
        for (const auto& [k, v] : as<ObjectLiteral>(*n).entries) {
          visit(k.get());
          visit(v.get());
        }
        return;
      case NodeType::binary: {
        const auto& b = as<Binary>(*n);
        visit(b.left.get());
        return visit(b.right.get());
      }
      case NodeType::unary:
        return visit(as<Unary>(*n).argument.get());
      case NodeType::slice: {
        const auto& s = as<Slice>(*n);
        visit(s.start.get());
        visit(s.stop.get());
        return visit(s.step.get());
      }
      case NodeType::spread:
      case NodeType::keyword_spread:
        return visit(as<Spread>(*n).argument.get());
      case NodeType::ternary: {
        const auto& t = as<Ternary>(*n);
        visit(t.condition.get());
        visit(t.if_true.get());
        return visit(t.if_false.get());
      }
      default:
        return;
    }
  }
};

}  // namespace

SpecialArguments special_arguments(const std::vector<NodePtr>& params, const Block& body) {
  Special s;
  for (const auto& p : params) s.declare_param(*p);
  s.visit(body);
  return s.accessed;
}

}  // namespace transformers::jinja
