// Runtime values of the Jinja interpreter: @huggingface/jinja's value classes (IntegerValue,
// FloatValue, StringValue, ArrayValue, TupleValue, ObjectValue, KeywordArgumentsValue, NamespaceValue,
// FunctionValue, NullValue, UndefinedValue) and the JavaScript behaviour they inherit: numbers are doubles,
// containers compare by identity, `==` is JavaScript's loose equality, strings print as JavaScript prints.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

namespace transformers::jinja {

// A rendering failure. `raised` marks raise_exception() from the template (its message is the
// template's own); `offset` is where in the source it happened, when known.
class RuntimeError : public std::exception {
 public:
  explicit RuntimeError(std::string message, bool raised = false) : message_(std::move(message)), raised_(raised) {}
  const char* what() const noexcept override { return message_.c_str(); }
  const std::string& message() const { return message_; }
  bool raised() const { return raised_; }
  std::optional<uint32_t> offset;

 private:
  std::string message_;
  bool raised_;
};
[[noreturn]] void fail(std::string message);
// JavaScript's TypeError for reading a property of a raw `undefined` (see Kind::hole).
[[noreturn]] void fail_undefined_read(const char* property);

enum class Kind : uint8_t {
  undefined,  // UndefinedValue
  // A raw JavaScript `undefined` where @huggingface/jinja returns one instead of an UndefinedValue (|first
  // and |last of an empty list): most uses of it throw a TypeError there, so they fail here too; read
  // back from a variable, a container or a macro argument it is an UndefinedValue again.
  hole,
  null,
  boolean,
  integer,
  floating,
  string,
  array,       // ArrayValue, or TupleValue when ArrayData::tuple
  object,      // ObjectValue, or KeywordArgumentsValue when ObjectData::kwargs
  namespace_,  // NamespaceValue
  function,
};

class Value;
struct Env;
using EnvPtr = std::shared_ptr<Env>;
using Args = std::vector<Value>;

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// Containers deeper than this are refused (their destruction and printing recurse).
inline constexpr uint32_t kMaxValueNesting = 512;

// Memory held by the values of one render (RenderLimits::max_memory_bytes). Strings, lists and mappings
// made on a thread while a render runs there (Budget::current()) count their bytes until destroyed.
struct Budget {
  size_t live = 0;
  size_t limit = SIZE_MAX;
  void add(size_t bytes);  // throws RuntimeError past the limit
  void sub(size_t bytes) { live -= bytes; }
  static Budget*& current();
};

struct StringData {
  std::string s;
  Budget* budget;
  size_t bytes;
  bool js_undefined = false;  // see Value::undefined_string()
  explicit StringData(std::string text);
  ~StringData();
  StringData(const StringData&) = delete;
  StringData& operator=(const StringData&) = delete;
};

class ObjectData;
struct ArrayData;
struct FunctionData;

class Value {
 public:
  Value() = default;  // undefined
  static Value hole();
  static Value null();
  static Value boolean(bool b);
  static Value integer(double n);
  static Value floating(double n);
  static Value string(std::string s);
  // @huggingface/jinja 0.5.10's `new StringValue(undefined)`, what indexing a string out of range gives: a
  // string that prints "undefined", is false, equals none, and fails wherever its text is read (str()).
  static Value undefined_string();
  static Value array(std::vector<Value> items, bool tuple = false);
  static Value object(std::shared_ptr<ObjectData> data);  // object or kwargs, as data->kwargs says
  static Value namespace_(std::shared_ptr<ObjectData> data);
  static Value function(std::string name, std::function<Value(Args&, const EnvPtr&)> call);

  Kind kind() const { return kind_; }
  bool is(Kind k) const { return kind_ == k; }
  bool is_number() const { return kind_ == Kind::integer || kind_ == Kind::floating; }
  bool is_numeric_like() const { return is_number() || kind_ == Kind::boolean; }  // JS arithmetic takes booleans
  bool is_container() const { return kind_ == Kind::object || kind_ == Kind::namespace_; }  // attribute containers

  bool flag() const { return num_ != 0; }
  double number() const { return num_; }
  const std::string& str() const {
    const auto& data = std::get<std::shared_ptr<const StringData>>(ptr_);
    if (data->js_undefined) fail_undefined_read("length");
    return data->s;
  }
  bool is_undefined_string() const {
    return kind_ == Kind::string && std::get<std::shared_ptr<const StringData>>(ptr_)->js_undefined;
  }
  const ArrayData& array() const { return *std::get<std::shared_ptr<ArrayData>>(ptr_); }
  ObjectData& object() const { return *std::get<std::shared_ptr<ObjectData>>(ptr_); }
  const std::shared_ptr<ObjectData>& object_ptr() const { return std::get<std::shared_ptr<ObjectData>>(ptr_); }
  const FunctionData& function() const { return *std::get<std::shared_ptr<FunctionData>>(ptr_); }
  // Identity of a container or function (JavaScript compares those by reference).
  const void* identity() const;
  // Nesting depth for the kMaxValueNesting limit (a namespace counts as one: its entries change).
  uint32_t depth() const;

 private:
  Kind kind_ = Kind::undefined;
  double num_ = 0;
  std::variant<std::monostate, std::shared_ptr<const StringData>, std::shared_ptr<ArrayData>,
               std::shared_ptr<ObjectData>, std::shared_ptr<FunctionData>>
      ptr_;
};

struct ArrayData {
  std::vector<Value> items;
  bool tuple = false;
  uint32_t depth = 1;
  Budget* budget = nullptr;
  size_t bytes = 0;
  ArrayData() = default;
  ~ArrayData();
  ArrayData(const ArrayData&) = delete;
  ArrayData& operator=(const ArrayData&) = delete;
};

// An insertion-ordered string-keyed map (a JavaScript Map).
class ObjectData {
 public:
  ObjectData();
  ~ObjectData();
  ObjectData(const ObjectData&) = delete;
  ObjectData& operator=(const ObjectData&) = delete;
  const Value* find(std::string_view key) const;
  void set(const std::string& key, Value value);
  void clear();
  size_t size() const { return entries_.size(); }
  const std::vector<std::pair<std::string, Value>>& entries() const { return entries_; }
  bool kwargs = false;
  uint32_t depth = 1;

 private:
  size_t position(std::string_view key) const;  // entries_.size() when absent
  std::vector<std::pair<std::string, Value>> entries_;
  std::unordered_map<std::string, size_t, StringHash, std::equal_to<>> index_;  // only once large
  Budget* budget_;
  size_t bytes_ = 0;
};

struct FunctionData {
  std::string name;
  std::function<Value(Args&, const EnvPtr&)> call;
};

// A scope. Every scope of @huggingface/jinja starts with its own `namespace` function, so a lookup of
// `namespace` stops at the innermost scope (Interpreter::lookup).
struct Env {
  EnvPtr parent;
  std::unordered_map<std::string, Value, StringHash, std::equal_to<>> vars;
  explicit Env(EnvPtr p) : parent(std::move(p)) {}
};

// "IntegerValue", "TupleValue", ... as @huggingface/jinja names the types in its messages.
const char* type_name(const Value& v);

// __bool__(): Python truthiness (empty containers are false; a namespace is always true).
bool truthy(const Value& v);
// JavaScript truthiness of the raw value (`if (x.value)`): every container is true.
bool js_truthy(const Value& v);

// RuntimeValue#toString(): what {{ v }} prints (containers as JSON, floats with ".0").
std::string display(const Value& v, size_t limit);
// String(v.value): what `~`, `+` and |join use (floats without ".0", lists joined with ",").
std::string js_string(const Value& v, size_t limit);

struct JsonOptions {
  std::optional<double> indent;  // none (or 0): one line
  bool ensure_ascii = false;
  std::optional<std::pair<std::string, std::string>> separators;  // item, key
  bool sort_keys = false;
  bool undefined_as_null = true;  // else "undefined" (how display() writes containers)
};
// @huggingface/jinja's toJSON (Python json.dumps' spacing); throws for functions and tuples as it does.
std::string to_json(const Value& v, const JsonOptions& options, size_t limit);

// `a.value == b.value` (JavaScript loose equality), `===`, and SameValueZero (Set membership).
bool loose_equals(const Value& a, const Value& b);
bool strict_equals(const Value& a, const Value& b);
bool same_value_zero(const Value& a, const Value& b);
// compareRuntimeValues: -1, 0, 1, or throws for types that do not compare.
int compare_values(const Value& a, const Value& b, bool case_sensitive);

// A JSON value as @huggingface/jinja's convertToRuntimeValues sees the JavaScript object JSON.parse makes:
// integral numbers are IntegerValues, and object keys that are array indices come first, ascending.
Value from_json(const nlohmann::ordered_json& j);

}  // namespace transformers::jinja
