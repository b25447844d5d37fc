// The interpreter behind Template::render (internal): evaluation of the syntax tree with
// @huggingface/jinja's semantics. jinja_runtime.cpp holds statements and expressions,
// jinja_filters.cpp filters and tests, jinja_builtins.cpp string/mapping methods and the globals.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizers/jinja/jinja.hpp"
#include "tokenizers/jinja/jinja_ast.hpp"
#include "tokenizers/jinja/jinja_value.hpp"

namespace transformers::jinja {

// {% break %} / {% continue %} unwinding to the innermost loop (possibly through a macro call).
struct BreakSignal {
  uint32_t offset;
};
struct ContinueSignal {
  uint32_t offset;
};

class Interpreter {
 public:
  explicit Interpreter(const RenderLimits& limits);
  ~Interpreter();
  Interpreter(const Interpreter&) = delete;
  Interpreter& operator=(const Interpreter&) = delete;

  std::string run(const Program& program, const nlohmann::ordered_json& context);

  // --- evaluation (jinja_runtime.cpp) ---
  Value eval(const Node& node, const EnvPtr& env);
  void exec(const Node& node, const EnvPtr& env, std::string& out);
  void exec_block(const Block& block, const EnvPtr& env, std::string& out);
  Value lookup(const EnvPtr& env, std::string_view name) const;

  struct Arguments {
    Args positional;
    std::shared_ptr<ObjectData> keywords;  // in order; never null
  };
  Arguments eval_args(const std::vector<NodePtr>& args, const EnvPtr& env);
  // The KeywordArgumentsValue @huggingface/jinja passes as a function's last argument.
  static Value kwargs_value(std::shared_ptr<ObjectData> keywords);
  Value call(const Value& fn, Args& args, const EnvPtr& env);

  // --- filters and tests (jinja_filters.cpp) ---
  Value apply_filter(const Value& operand, const Node& filter, const EnvPtr& env);
  static bool has_test(std::string_view name);
  // `arg` is the test's second operand (selectattr's value), or null when there is none.
  bool test(std::string_view name, const Value& operand, const Value* arg);

  // --- methods and globals (jinja_builtins.cpp) ---
  // A string's or mapping's built-in member (`upper`, `length`, `items`, ...), or undefined.
  Value string_member(const Value& s, std::string_view name);
  Value object_member(const Value& o, std::string_view name);
  void define_globals(Env& global);

  // --- limits ---
  void charge(uint64_t steps);
  Value make_string(std::string s);
  Value make_array(std::vector<Value> items, bool tuple = false);
  Value make_namespace(std::shared_ptr<ObjectData> data);
  size_t output_limit() const { return limits_.max_output_bytes; }
  void check_size(size_t bytes) const;

 private:
  Budget budget_;  // first: every value below is destroyed before it
  RenderLimits limits_;
  uint64_t steps_ = 0;
  size_t call_depth_ = 0;
  uintptr_t stack_base_ = 0;
  Value namespace_function_;
  std::vector<std::shared_ptr<ObjectData>> namespaces_;  // emptied at the end: breaks reference cycles

  friend struct Frame;
  void enter(const Node& node);

  Value eval_binary(const Binary& node, const EnvPtr& env);
  Value eval_unary(const Unary& node, const EnvPtr& env);
  Value eval_member(const Member& node, const EnvPtr& env);
  Value eval_slice(const Value& object, const Slice& node, const EnvPtr& env);
  Value eval_call(const CallExpression& node, const EnvPtr& env);
  Value eval_object(const ObjectLiteral& node, const EnvPtr& env);
  void exec_for(const For& node, const EnvPtr& env, std::string& out);
  void exec_set(const Set& node, const EnvPtr& env);
  void define_macro(const Macro& node, const EnvPtr& env);
  Value exec_call_statement(const CallStatement& node, const EnvPtr& env);
  void bind_arguments(const std::string& display_name, const std::vector<NodePtr>& params, SpecialArguments special,
                      const Args& args, const EnvPtr& scope);
  void append(std::string& out, const Value& v) const;
};

}  // namespace transformers::jinja
