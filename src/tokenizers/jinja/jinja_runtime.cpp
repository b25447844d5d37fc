// Statements and expressions, following @huggingface/jinja's Interpreter (runtime.ts) step by step:
// the same scoping (a for loop gets one scope for all iterations, macros run in a scope below their
// caller's), the same order of evaluation and the same operator rules.
#include <cmath>

#include "tokenizers/jinja/jinja_interpreter.hpp"
#include "tokenizers/jinja/jinja_lexer.hpp"
#include "tokenizers/jinja/jinja_strings.hpp"
#include "transformers/error.hpp"

namespace transformers::jinja {

namespace {

struct BudgetScope {
  Budget* previous;
  explicit BudgetScope(Budget* b) : previous(Budget::current()) { Budget::current() = b; }
  ~BudgetScope() { Budget::current() = previous; }
};

// utils.ts slice(): Python slicing over doubles (NaN bounds give nothing, a zero step nothing).
template <class Out>
void slice_indices(size_t size, const Value& start_v, const Value& stop_v, const Value& step_v, Out&& out) {
  const double n = static_cast<double>(size);
  const double step = step_v.is(Kind::undefined) ? 1 : step_v.number();
  const double direction = std::isnan(step) ? std::nan("") : step > 0 ? 1 : step < 0 ? -1 : 0;
  double start, stop;
  if (direction >= 0) {
    start = start_v.is(Kind::undefined) ? 0 : start_v.number();
    start = start < 0 ? std::max(n + start, 0.0) : std::min(start, n);
    stop = stop_v.is(Kind::undefined) ? n : stop_v.number();
    stop = stop < 0 ? std::max(n + stop, 0.0) : std::min(stop, n);
  } else {
    start = start_v.is(Kind::undefined) ? n - 1 : start_v.number();
    start = start < 0 ? std::max(n + start, -1.0) : std::min(start, n - 1);
    stop = stop_v.is(Kind::undefined) ? -1 : stop_v.number();
    stop = stop < -1 ? std::max(n + stop, -1.0) : std::min(stop, n - 1);
  }
  for (double i = start; direction * i < direction * stop; i += step) out(static_cast<size_t>(i));
}

}  // namespace

Interpreter::Interpreter(const RenderLimits& limits) : limits_(limits) { budget_.limit = limits.max_memory_bytes; }

Interpreter::~Interpreter() {
  for (auto& ns : namespaces_) ns->clear();
}

void Interpreter::charge(uint64_t steps) {
  steps_ += steps;
  if (steps_ > limits_.max_steps)
    fail("rendering took more than " + std::to_string(limits_.max_steps) + " steps (an endless loop?)");
}

void Interpreter::check_size(size_t bytes) const {
  if (bytes > limits_.max_output_bytes)
    fail("the rendered text would exceed the limit of " + std::to_string(limits_.max_output_bytes) + " bytes");
}

Value Interpreter::make_string(std::string s) {
  check_size(s.size());
  charge(s.size() / 256);
  return Value::string(std::move(s));
}

Value Interpreter::make_array(std::vector<Value> items, bool tuple) {
  if (items.size() > limits_.max_list_items)
    fail("a list would have more than " + std::to_string(limits_.max_list_items) + " items");
  charge(items.size() / 16);
  return Value::array(std::move(items), tuple);
}

Value Interpreter::make_namespace(std::shared_ptr<ObjectData> data) {
  namespaces_.push_back(data);
  return Value::namespace_(std::move(data));
}

Value Interpreter::kwargs_value(std::shared_ptr<ObjectData> keywords) {
  keywords->kwargs = true;
  return Value::object(std::move(keywords));
}

void Interpreter::enter(const Node&) {
  charge(1);
  const auto here = reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
  if (stack_base_ > here && stack_base_ - here > limits_.max_stack_bytes)
    fail("the template nests or recurses too deeply (more than " + std::to_string(limits_.max_stack_bytes >> 10) +
         " KiB of stack)");
}

std::string Interpreter::run(const Program& program, const nlohmann::ordered_json& context) {
  BudgetScope budget(&budget_);
  stack_base_ = reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
  auto global = std::make_shared<Env>(nullptr);
  define_globals(*global);
  namespace_function_ = global->vars.at("namespace");
  global->vars.erase("namespace");  // every scope has its own (lookup)
  if (!context.is_object()) fail("the template variables must be a JSON object");
  for (const auto& [key, value] : context.items()) {
    if (key == "namespace" || global->vars.count(key) != 0) fail("Variable already declared: " + key);
    global->vars.emplace(key, from_json(value));
  }
  std::string out;
  try {
    exec_block(program.body, global, out);
  } catch (const BreakSignal& s) {
    RuntimeError e("{% break %} outside of a loop");
    e.offset = s.offset;
    throw e;
  } catch (const ContinueSignal& s) {
    RuntimeError e("{% continue %} outside of a loop");
    e.offset = s.offset;
    throw e;
  }
  return out;
}

Value Interpreter::lookup(const EnvPtr& env, std::string_view name) const {
  if (name == "namespace") {
    const auto it = env->vars.find(name);
    if (it == env->vars.end()) return namespace_function_;
    return it->second.is(Kind::hole) ? Value() : it->second;
  }
  for (const Env* e = env.get(); e != nullptr; e = e->parent.get()) {
    const auto it = e->vars.find(name);
    if (it != e->vars.end()) return it->second.is(Kind::hole) ? Value() : it->second;
  }
  return Value();
}

void Interpreter::append(std::string& out, const Value& v) const {
  if (v.is(Kind::null) || v.is(Kind::undefined)) return;
  if (v.is(Kind::hole)) fail_undefined_read("type");
  out += display(v, limits_.max_output_bytes);
  check_size(out.size());
}

void Interpreter::exec_block(const Block& block, const EnvPtr& env, std::string& out) {
  for (const auto& statement : block) exec(*statement, env, out);
}

void Interpreter::exec(const Node& n, const EnvPtr& env, std::string& out) {
  try {
    enter(n);
    switch (n.type) {
      case NodeType::string_literal:
        out += as<StringLiteral>(n).value;
        check_size(out.size());
        return;
      case NodeType::comment:
        return;
      case NodeType::if_statement: {
        const auto& s = as<If>(n);
        return exec_block(truthy(eval(*s.test, env)) ? s.body : s.alternate, env, out);
      }
      case NodeType::for_statement:
        return exec_for(as<For>(n), env, out);
      case NodeType::set_statement:
        return exec_set(as<Set>(n), env);
      case NodeType::macro:
        return define_macro(as<Macro>(n), env);
      case NodeType::call_statement:
        return append(out, exec_call_statement(as<CallStatement>(n), env));
      case NodeType::filter_statement: {
        const auto& s = as<FilterStatement>(n);
        std::string body;
        exec_block(s.body, env, body);
        return append(out, apply_filter(make_string(std::move(body)), *s.filter, env));
      }
      case NodeType::break_statement:
        throw BreakSignal{n.offset};
      case NodeType::continue_statement:
        throw ContinueSignal{n.offset};
      default:
        return append(out, eval(n, env));
    }
  } catch (RuntimeError& e) {
    if (!e.offset) e.offset = n.offset;
    throw;
  }
}

void Interpreter::exec_for(const For& node, const EnvPtr& env, std::string& out) {
  auto scope = std::make_shared<Env>(env);
  const Node* condition = nullptr;
  Value iterable;
  if (node.iterable->type == NodeType::select) {
    const auto& select = as<Select>(*node.iterable);
    iterable = eval(*select.lhs, scope);
    condition = select.test.get();
  } else {
    iterable = eval(*node.iterable, scope);
  }
  if (iterable.is(Kind::hole)) fail_undefined_read("type");
  if (!iterable.is(Kind::array) && !iterable.is(Kind::object))
    fail(std::string("Expected iterable or object type in for loop: got ") + type_name(iterable));
  std::vector<Value> keys;
  if (iterable.is(Kind::object))
    for (const auto& [k, v] : iterable.object().entries()) keys.push_back(Value::string(k));
  const std::vector<Value>& source = iterable.is(Kind::array) ? iterable.array().items : keys;

  const bool unpack = node.loopvar->type == NodeType::tuple_literal;
  const std::vector<NodePtr>* names = unpack ? &as<ListLiteral>(*node.loopvar).items : nullptr;
  auto bind = [&](Env& target, const Value& current) {
    if (!unpack) {
      target.vars.insert_or_assign(as<Identifier>(*node.loopvar).name, current);
      return;
    }
    const auto& values = current.array().items;
    for (size_t j = 0; j < names->size(); ++j) {
      const Node& name = *(*names)[j];
      if (name.type != NodeType::identifier)
        fail(std::string("Cannot unpack non-identifier type: ") + node_type_name(name.type));
      target.vars.insert_or_assign(as<Identifier>(name).name, values[j]);
    }
  };

  std::vector<Value> items;
  items.reserve(source.size());
  for (const Value& current : source) {
    if (unpack) {
      if (current.is(Kind::hole)) fail_undefined_read("type");
      if (!current.is(Kind::array) || current.array().tuple)
        fail(std::string("Cannot unpack non-iterable type: ") + type_name(current));
      const size_t want = names->size(), have = current.array().items.size();
      if (want != have) fail(std::string("Too ") + (want > have ? "few" : "many") + " items to unpack");
    }
    if (condition != nullptr) {
      auto loop_scope = std::make_shared<Env>(scope);
      bind(*loop_scope, current);
      if (!truthy(eval(*condition, loop_scope))) continue;
    }
    items.push_back(current);
  }

  bool no_iteration = true;
  const double length = static_cast<double>(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    charge(1);  // an iteration costs a step even when its body is empty
    const double index = static_cast<double>(i);
    auto loop = std::make_shared<ObjectData>();
    loop->set("index", Value::integer(index + 1));
    loop->set("index0", Value::integer(index));
    loop->set("revindex", Value::integer(length - index));
    loop->set("revindex0", Value::integer(length - index - 1));
    loop->set("first", Value::boolean(i == 0));
    loop->set("last", Value::boolean(i + 1 == items.size()));
    loop->set("length", Value::integer(length));
    loop->set("previtem", i > 0 ? items[i - 1] : Value());
    loop->set("nextitem", i + 1 < items.size() ? items[i + 1] : Value());
    scope->vars.insert_or_assign("loop", Value::object(std::move(loop)));
    bind(*scope, items[i]);
    // An iteration ended by break/continue contributes nothing, as in @huggingface/jinja.
    const size_t mark = out.size();
    try {
      exec_block(node.body, scope, out);
    } catch (const ContinueSignal&) {
      out.resize(mark);
      continue;
    } catch (const BreakSignal&) {
      out.resize(mark);
      break;
    }
    no_iteration = false;
  }
  if (no_iteration) exec_block(node.default_block, scope, out);
}

void Interpreter::exec_set(const Set& node, const EnvPtr& env) {
  Value rhs;
  if (node.value) {
    rhs = eval(*node.value, env);
  } else {
    std::string body;
    exec_block(node.body, env, body);
    rhs = make_string(std::move(body));
  }
  const Node& target = *node.assignee;
  switch (target.type) {
    case NodeType::identifier:
      env->vars.insert_or_assign(as<Identifier>(target).name, rhs);
      return;
    case NodeType::tuple_literal: {
      const auto& names = as<ListLiteral>(target).items;
      if (rhs.is(Kind::hole)) fail_undefined_read("type");
      if (!rhs.is(Kind::array)) fail(std::string("Cannot unpack non-iterable type in set: ") + type_name(rhs));
      const auto& values = rhs.array().items;
      if (values.size() != names.size())
        fail(std::string("Too ") + (names.size() > values.size() ? "few" : "many") + " items to unpack in set");
      for (size_t i = 0; i < names.size(); ++i) {
        if (names[i]->type != NodeType::identifier)
          fail(std::string("Cannot unpack to non-identifier in set: ") + node_type_name(names[i]->type));
        env->vars.insert_or_assign(as<Identifier>(*names[i]).name, values[i]);
      }
      return;
    }
    case NodeType::member: {
      const auto& member = as<Member>(target);
      const Value object = eval(*member.object, env);
      if (!object.is(Kind::namespace_)) fail("cannot assign attribute on non-namespace object");
      if (member.property->type != NodeType::identifier) fail("Cannot assign to member with non-identifier property");
      object.object().set(as<Identifier>(*member.property).name, rhs);
      return;
    }
    default:
      fail(std::string("Invalid LHS inside assignment expression: ") + node_type_name(target.type));
  }
}

void Interpreter::bind_arguments(const std::string& display_name, const std::vector<NodePtr>& params,
                                 SpecialArguments special, const Args& args, const EnvPtr& scope) {
  Args positional = args;
  std::vector<std::pair<std::string, Value>> keywords;
  if (!positional.empty() && positional.back().is(Kind::object) && positional.back().object().kwargs) {
    keywords = positional.back().object().entries();
    positional.pop_back();
  }
  std::vector<std::pair<std::string, const Node*>> defaults;
  for (size_t i = 0; i < params.size(); ++i) {
    const Node& p = *params[i];
    const std::string& name = p.type == NodeType::identifier ? as<Identifier>(p).name : as<KeywordArgument>(p).key;
    Value value;
    bool given = i < positional.size() && !positional[i].is(Kind::hole);
    if (given) value = positional[i];
    if (!given) {
      const auto it = std::find_if(keywords.begin(), keywords.end(), [&](const auto& kv) { return kv.first == name; });
      if (it != keywords.end()) {
        value = it->second;
        given = !value.is(Kind::hole);
        keywords.erase(it);
      }
    }
    if (!given && p.type == NodeType::keyword_argument) defaults.emplace_back(name, as<KeywordArgument>(p).value.get());
    scope->vars.insert_or_assign(name, value.is(Kind::hole) ? Value() : value);
  }
  if (special.kwargs) {
    auto rest = std::make_shared<ObjectData>();
    for (auto& [k, v] : keywords) rest->set(k, v);
    scope->vars.insert_or_assign("kwargs", Value::object(std::move(rest)));
  } else if (!keywords.empty()) {
    fail("macro " + display_name + " takes no keyword argument '" + keywords.front().first + "'");
  }
  if (special.varargs) {
    std::vector<Value> extra;
    for (size_t i = params.size(); i < positional.size(); ++i) extra.push_back(positional[i]);
    scope->vars.insert_or_assign("varargs", make_array(std::move(extra)));
  } else if (positional.size() > params.size()) {
    fail("macro " + display_name + " takes not more than " + std::to_string(params.size()) + " argument(s)");
  }
  for (const auto& [name, expr] : defaults) scope->vars.insert_or_assign(name, eval(*expr, scope));
}

void Interpreter::define_macro(const Macro& node, const EnvPtr& env) {
  env->vars.insert_or_assign(node.name, Value::function(node.name, [this, &node](Args& args, const EnvPtr& scope) {
                               auto macro_scope = std::make_shared<Env>(scope);
                               bind_arguments("'" + node.name + "'", node.params, node.special, args, macro_scope);
                               std::string out;
                               exec_block(node.body, macro_scope, out);
                               return make_string(std::move(out));
                             }));
}

Value Interpreter::exec_call_statement(const CallStatement& node, const EnvPtr& env) {
  static const std::vector<NodePtr> kNoParams;
  const std::vector<NodePtr>& params = node.caller_params ? *node.caller_params : kNoParams;
  Value caller = Value::function("caller", [this, &node, &params, env](Args& args, const EnvPtr&) {
    auto block_env = std::make_shared<Env>(env);
    bind_arguments("None", params, node.special, args, block_env);
    std::string out;
    exec_block(node.body, block_env, out);
    return make_string(std::move(out));
  });
  Arguments a = eval_args(node.call->args, env);
  a.positional.push_back(kwargs_value(a.keywords));
  const Value fn = eval(*node.call->callee, env);
  if (!fn.is(Kind::function)) fail(std::string("Cannot call something that is not a function: got ") + type_name(fn));
  auto call_env = std::make_shared<Env>(env);
  call_env->vars.insert_or_assign("caller", caller);
  return call(fn, a.positional, call_env);
}

Value Interpreter::call(const Value& fn, Args& args, const EnvPtr& env) {
  if (call_depth_ >= limits_.max_call_depth)
    fail("macro calls nest deeper than " + std::to_string(limits_.max_call_depth) + " (endless recursion?)");
  ++call_depth_;
  struct Leave {
    size_t& depth;
    ~Leave() { --depth; }
  } leave{call_depth_};
  const FunctionData& f = fn.function();
  return f.call(args, env);
}

Interpreter::Arguments Interpreter::eval_args(const std::vector<NodePtr>& args, const EnvPtr& env) {
  Arguments a;
  a.keywords = std::make_shared<ObjectData>();
  for (const auto& arg : args) {  // positional first, keywords after, as Python does
    if (arg->type == NodeType::spread) {
      const Value v = eval(*as<Spread>(*arg).argument, env);
      if (v.is(Kind::hole)) fail_undefined_read("type");
      if (!v.is(Kind::array)) fail(std::string("Cannot unpack non-iterable type: ") + type_name(v));
      a.positional.insert(a.positional.end(), v.array().items.begin(), v.array().items.end());
    } else if (arg->type != NodeType::keyword_argument && arg->type != NodeType::keyword_spread) {
      a.positional.push_back(eval(*arg, env));
    }
  }
  auto add = [&](const std::string& key, Value v) {
    if (a.keywords->find(key) != nullptr) fail("Got multiple values for keyword argument '" + key + "'");
    a.keywords->set(key, std::move(v));
  };
  for (const auto& arg : args) {
    if (arg->type == NodeType::keyword_argument) {
      const auto& kw = as<KeywordArgument>(*arg);
      add(kw.key, eval(*kw.value, env));
    } else if (arg->type == NodeType::keyword_spread) {
      const Value v = eval(*as<Spread>(*arg).argument, env);
      if (v.is(Kind::hole)) fail_undefined_read("type");
      if (!v.is(Kind::object)) fail(std::string("Argument after ** must be a mapping, not ") + type_name(v));
      for (const auto& [k, item] : v.object().entries()) add(k, item);
    }
  }
  return a;
}

Value Interpreter::eval(const Node& n, const EnvPtr& env) {
  try {
    enter(n);
    switch (n.type) {
      case NodeType::integer_literal:
        return Value::integer(as<NumberLiteral>(n).value);
      case NodeType::float_literal:
        return Value::floating(as<NumberLiteral>(n).value);
      case NodeType::string_literal:
        return Value::string(as<StringLiteral>(n).value);
      case NodeType::array_literal:
      case NodeType::tuple_literal: {
        std::vector<Value> items;
        for (const auto& item : as<ListLiteral>(n).items) items.push_back(eval(*item, env));
        return make_array(std::move(items), n.type == NodeType::tuple_literal);
      }
      case NodeType::object_literal:
        return eval_object(as<ObjectLiteral>(n), env);
      case NodeType::identifier:
        return lookup(env, as<Identifier>(n).name);
      case NodeType::call:
        return eval_call(as<CallExpression>(n), env);
      case NodeType::member:
        return eval_member(as<Member>(n), env);
      case NodeType::unary:
        return eval_unary(as<Unary>(n), env);
      case NodeType::binary:
        return eval_binary(as<Binary>(n), env);
      case NodeType::filter: {
        const auto& f = as<Filter>(n);
        return apply_filter(eval(*f.operand, env), *f.filter, env);
      }
      case NodeType::test: {
        const auto& t = as<Test>(n);
        const Value operand = eval(*t.operand, env);
        if (!has_test(t.name)) fail("Unknown test: " + t.name);
        const bool result = test(t.name, operand, nullptr);
        return Value::boolean(t.negate ? !result : result);
      }
      case NodeType::select: {
        const auto& s = as<Select>(n);
        if (!truthy(eval(*s.test, env))) return Value();
        return eval(*s.lhs, env);
      }
      case NodeType::ternary: {
        const auto& t = as<Ternary>(n);
        return eval(truthy(eval(*t.condition, env)) ? *t.if_true : *t.if_false, env);
      }
      default:
        fail(std::string("Unknown node type: ") + node_type_name(n.type));
    }
  } catch (RuntimeError& e) {
    if (!e.offset) e.offset = n.offset;
    throw;
  }
}

Value Interpreter::eval_object(const ObjectLiteral& node, const EnvPtr& env) {
  auto data = std::make_shared<ObjectData>();
  for (const auto& [key_node, value_node] : node.entries) {
    const Value key = eval(*key_node, env);
    if (!key.is(Kind::string)) fail(std::string("Object keys must be strings: got ") + type_name(key));
    data->set(key.str(), eval(*value_node, env));
  }
  return Value::object(std::move(data));
}

Value Interpreter::eval_call(const CallExpression& node, const EnvPtr& env) {
  Arguments a = eval_args(node.args, env);
  if (a.keywords->size() > 0) a.positional.push_back(kwargs_value(a.keywords));
  const Value fn = eval(*node.callee, env);
  if (fn.is(Kind::hole)) fail_undefined_read("type");
  if (!fn.is(Kind::function)) fail(std::string("Cannot call something that is not a function: got ") + type_name(fn));
  return call(fn, a.positional, env);
}

Value Interpreter::eval_member(const Member& node, const EnvPtr& env) {
  const Value object = eval(*node.object, env);
  Value property;
  if (node.computed) {
    if (node.property->type == NodeType::slice) return eval_slice(object, as<Slice>(*node.property), env);
    property = eval(*node.property, env);
  } else if (node.property->type == NodeType::integer_literal) {
    property = Value::integer(as<NumberLiteral>(*node.property).value);
  } else {
    property = Value::string(as<Identifier>(*node.property).name);
  }
  if (object.is_container()) {
    if (!property.is(Kind::string))
      fail(std::string("Cannot access property with non-string: got ") + type_name(property));
    const Value* found = object.object().find(property.str());
    if (found != nullptr && !found->is(Kind::hole)) return *found;
    return object.is(Kind::object) ? object_member(object, property.str()) : Value();
  }
  if (object.is(Kind::array) || object.is(Kind::string)) {
    if (property.is(Kind::integer)) {
      if (object.is(Kind::string)) {
        auto unit = text::utf16_at(object.str(), property.number());
        return unit ? Value::string(std::move(*unit)) : Value::undefined_string();
      }
      const auto& items = object.array().items;
      double index = std::isnan(property.number()) ? 0 : std::trunc(property.number());
      if (index < 0) index += static_cast<double>(items.size());
      if (index < 0 || index >= static_cast<double>(items.size())) return Value();
      const Value& item = items[static_cast<size_t>(index)];
      return item.is(Kind::hole) ? Value() : item;
    }
    if (property.is(Kind::string)) {
      if (object.is(Kind::string)) return string_member(object, property.str());
      return property.str() == "length" ? Value::integer(static_cast<double>(object.array().items.size())) : Value();
    }
    fail(std::string("Cannot access property with non-string/non-number: got ") + type_name(property));
  }
  if (!property.is(Kind::string))
    fail(std::string("Cannot access property with non-string: got ") + type_name(property));
  if (object.is(Kind::hole)) fail_undefined_read("builtins");
  return Value();  // numbers, booleans, none, undefined and functions have no members
}

Value Interpreter::eval_slice(const Value& object, const Slice& node, const EnvPtr& env) {
  if (!object.is(Kind::array) && !object.is(Kind::string)) fail("Slice object must be an array or string");
  auto part = [&](const NodePtr& p, const char* what) {
    Value v = p ? eval(*p, env) : Value();
    if (!v.is(Kind::integer) && !v.is(Kind::undefined))
      fail(std::string("Slice ") + what + " must be numeric or undefined");
    return v;
  };
  const Value start = part(node.start, "start"), stop = part(node.stop, "stop"), step = part(node.step, "step");
  if (object.is(Kind::array)) {
    const auto& items = object.array().items;
    std::vector<Value> out;
    slice_indices(items.size(), start, stop, step, [&](size_t i) { out.push_back(items[i]); });
    return make_array(std::move(out));
  }
  const auto chars = text::code_points(object.str());
  std::string out;
  slice_indices(chars.size(), start, stop, step, [&](size_t i) { out += chars[i]; });
  return make_string(std::move(out));
}

Value Interpreter::eval_unary(const Unary& node, const EnvPtr& env) {
  const Value arg = eval(*node.argument, env);
  // 0.5.10 negates the raw JavaScript value: `not []` and `not {}` are false, unlike `if []`.
  if (node.op == "not") return Value::boolean(!js_truthy(arg));
  if (!arg.is_numeric_like()) {
    if (arg.is(Kind::hole)) fail_undefined_read("type");
    fail("Unknown operator \"" + node.op + "\" for " + type_name(arg));
  }
  const double result = (node.op == "-" ? -1.0 : 1.0) * arg.number();
  return arg.is(Kind::floating) ? Value::floating(result) : Value::integer(result);
}

Value Interpreter::eval_binary(const Binary& node, const EnvPtr& env) {
  const Value left = eval(*node.left, env);
  if (node.op == BinaryOp::and_) return truthy(left) ? eval(*node.right, env) : left;
  if (node.op == BinaryOp::or_) return truthy(left) ? left : eval(*node.right, env);
  const Value right = eval(*node.right, env);
  const BinaryOp op = node.op;
  if (op == BinaryOp::eq) return Value::boolean(loose_equals(left, right));
  if (op == BinaryOp::ne) return Value::boolean(!loose_equals(left, right));
  const bool membership = op == BinaryOp::in || op == BinaryOp::not_in;
  if (left.is(Kind::undefined) || right.is(Kind::undefined)) {
    if (right.is(Kind::undefined) && membership) return Value::boolean(op == BinaryOp::not_in);
    fail("Cannot perform operation " + node.op_text + " on undefined values");
  }
  if (left.is(Kind::null) || right.is(Kind::null)) fail("Cannot perform operation on null values");
  if (left.is(Kind::hole) || right.is(Kind::hole)) {  // every later rule reads the raw undefined's value...
    if (left.is(Kind::hole) && right.is(Kind::array) && right.array().items.empty() && membership)
      return Value::boolean(op == BinaryOp::not_in);  // ...except a search of an empty list
    fail_undefined_read("value");
  }
  if (op == BinaryOp::concat) {
    return make_string(js_string(left, output_limit()) + js_string(right, output_limit()));
  } else if (op == BinaryOp::pow && left.is_numeric_like() && right.is_numeric_like()) {
    const double a = left.number(), b = right.number();
    if (a == 0 && b < 0) fail("0.0 cannot be raised to a negative power");
    // JavaScript's ** gives NaN where C's pow gives 1: a NaN exponent, or ±1 to an infinite power.
    const double result = std::isnan(b) || (std::fabs(a) == 1 && std::isinf(b)) ? std::nan("") : std::pow(a, b);
    if (!std::isfinite(result)) fail("Exponentiation result is not a finite real number");
    const bool is_float = left.is(Kind::floating) || right.is(Kind::floating) || b < 0;
    return is_float ? Value::floating(result) : Value::integer(result);
  } else if (left.is_number() && right.is_number()) {
    const double a = left.number(), b = right.number();
    const bool is_float = left.is(Kind::floating) || right.is(Kind::floating);
    auto number = [&](double r) { return is_float ? Value::floating(r) : Value::integer(r); };
    switch (op) {
      case BinaryOp::add:
        return number(a + b);
      case BinaryOp::sub:
        return number(a - b);
      case BinaryOp::mul:
        return number(a * b);
      case BinaryOp::div:
        return Value::floating(a / b);
      case BinaryOp::floordiv:
        return number(std::floor(a / b));
      case BinaryOp::mod:
        return number(std::fmod(a, b));
      case BinaryOp::lt:
        return Value::boolean(a < b);
      case BinaryOp::gt:
        return Value::boolean(a > b);
      case BinaryOp::ge:
        return Value::boolean(a >= b);
      case BinaryOp::le:
        return Value::boolean(a <= b);
      default:
        break;
    }
  } else if (left.is(Kind::array) && right.is(Kind::array)) {
    if (op == BinaryOp::add) {
      std::vector<Value> items = left.array().items;
      items.insert(items.end(), right.array().items.begin(), right.array().items.end());
      return make_array(std::move(items));
    }
  } else if (right.is(Kind::array) && membership) {
    bool found = false;
    for (const Value& item : right.array().items) {
      if (strict_equals(item, left)) {
        found = true;
        break;
      }
    }
    return Value::boolean(found == (op == BinaryOp::in));
  }
  if ((left.is(Kind::string) || right.is(Kind::string)) && op == BinaryOp::add)
    return make_string(js_string(left, output_limit()) + js_string(right, output_limit()));
  // An out-of-range character (raw undefined) is searched for as the text "undefined", never a key.
  if (left.is(Kind::string) && right.is(Kind::string) && membership) {
    const std::string& needle = left.is_undefined_string() ? std::string("undefined") : left.str();
    return Value::boolean((right.str().find(needle) != std::string::npos) == (op == BinaryOp::in));
  }
  if (left.is(Kind::string) && right.is(Kind::object) && membership)
    return Value::boolean((!left.is_undefined_string() && right.object().find(left.str()) != nullptr) ==
                          (op == BinaryOp::in));
  fail("Unknown operator \"" + node.op_text + "\" between " + type_name(left) + " and " + type_name(right));
}

// --- Template ---

Template::Template(std::string_view source) : source_(source) {
  try {
    program_ = parse(tokenize(source_), static_cast<uint32_t>(source_.size()));
  } catch (const SyntaxError& e) {
    const Location loc = locate(source_, e.offset);
    throw InvalidInputError("Jinja template syntax error at line " + std::to_string(loc.line) + ", column " +
                            std::to_string(loc.column) + ": " + e.message);
  }
}

Template::~Template() = default;
Template::Template(Template&&) noexcept = default;
Template& Template::operator=(Template&&) noexcept = default;

std::string Template::render(const nlohmann::ordered_json& context, const RenderLimits& limits) const {
  try {
    Interpreter interpreter(limits);
    return interpreter.run(*program_, context);
  } catch (const RuntimeError& e) {
    if (e.raised()) throw InvalidInputError(e.message().empty() ? "the chat template raised an error" : e.message());
    std::string where;
    if (e.offset) {
      const Location loc = locate(source_, *e.offset);
      where = " at line " + std::to_string(loc.line) + ", column " + std::to_string(loc.column);
    }
    throw InvalidInputError("Jinja template error" + where + ": " + e.message());
  }
}

std::string Template::render(const nlohmann::json& context, const RenderLimits& limits) const {
  return render(nlohmann::ordered_json(context), limits);
}

}  // namespace transformers::jinja
