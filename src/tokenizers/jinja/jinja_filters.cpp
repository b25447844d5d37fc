// Filters and tests, as @huggingface/jinja's applyFilter and Environment.TESTS define them: which
// filters exist depends on the operand's type, and a filter written with parentheses (`|join(", ")`) is
// a different filter from the bare one (`|join`).
#include <algorithm>
#include <cmath>
#include <string_view>
#include <unordered_set>

#include "tokenizers/jinja/jinja_interpreter.hpp"
#include "tokenizers/jinja/jinja_sort.hpp"
#include "tokenizers/jinja/jinja_strings.hpp"

namespace transformers::jinja {

namespace {

// args.at(i) ?? kwargs.get(keyword): a positional argument, else the keyword one (a raw undefined is absent).
const Value* argument(const Interpreter::Arguments& a, size_t i, const char* keyword) {
  if (i < a.positional.size() && !a.positional[i].is(Kind::hole)) return &a.positional[i];
  if (keyword != nullptr) {
    const Value* v = a.keywords->find(keyword);
    if (v != nullptr && !v->is(Kind::hole)) return v;
  }
  return nullptr;
}

Value get_attribute(const Value& item, std::string_view path) {  // getAttributeValue: "a.b", "items.0"
  Value value = item;
  size_t start = 0;
  for (;;) {
    const size_t dot = path.find('.', start);
    const std::string_view part =
        path.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (value.is_container()) {
      const Value* found = value.object().find(part);
      value = found != nullptr && !found->is(Kind::hole) ? *found : Value();
    } else if (value.is(Kind::array)) {
      const double index = text::parse_int(part);
      const auto& items = value.array().items;
      if (std::isnan(index) || index < 0 || index >= static_cast<double>(items.size())) return Value();
      const Value& v = items[static_cast<size_t>(index)];
      value = v.is(Kind::hole) ? Value() : v;
    } else {
      return Value();
    }
    if (dot == std::string_view::npos) return value;
    start = dot + 1;
  }
}

// Array.prototype.sort with compareRuntimeValues: stable; JavaScript puts undefined entries last unsorted.
std::vector<Value> sorted(const std::vector<Value>& items, bool reverse, bool case_sensitive,
                          const std::function<Value(const Value&)>& key) {
  std::vector<Value> out, holes;
  for (const Value& v : items) (v.is(Kind::hole) ? holes : out).push_back(v);
  js_sort(out, [&](const Value& a, const Value& b) {
    const int r = compare_values(key(a), key(b), case_sensitive);
    return reverse ? -r : r;
  });
  out.insert(out.end(), holes.begin(), holes.end());
  return out;
}

// items.map(x => x.value).join(separator)
std::string join_raw(const std::vector<Value>& items, std::string_view separator, size_t limit) {
  for (const Value& v : items)
    if (v.is(Kind::hole)) fail_undefined_read("value");
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += separator;
    if (!items[i].is(Kind::null) && !items[i].is(Kind::undefined)) out += js_string(items[i], limit);
    if (out.size() > limit) fail("the rendered text would exceed the limit of " + std::to_string(limit) + " bytes");
  }
  return out;
}

std::string unique_key(const Value& v) {
  switch (v.kind()) {
    case Kind::hole:
      fail_undefined_read("value");
    case Kind::undefined:
    case Kind::null:
      return "u";  // both raw `undefined`
    case Kind::boolean:
      return v.flag() ? "b1" : "b0";
    case Kind::integer:
    case Kind::floating: {
      const double n = v.number() == 0 ? 0.0 : v.number();  // SameValueZero: -0 is 0, NaN is NaN
      return std::isnan(n) ? "nNaN" : "n" + text::number_to_string(n);
    }
    case Kind::string:
      return "s" + v.str();
    default:
      return "p" + std::to_string(reinterpret_cast<uintptr_t>(v.identity()));
  }
}

std::string indent_lines(std::string_view s, double width, bool first, bool blank) {
  if (width < 0 || !std::isfinite(width)) fail("Invalid count value: " + text::number_to_string(width));
  const std::string pad(static_cast<size_t>(width), ' ');
  std::string out;
  size_t start = 0, line = 0;
  for (;;) {
    const size_t nl = s.find('\n', start);
    const std::string_view part = s.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    if (!((!first && line == 0) || (!blank && part.empty()))) out += pad;
    out += part;
    if (nl == std::string_view::npos) return out;
    out += '\n';
    start = nl + 1;
    ++line;
  }
}

Value pairs(Interpreter& in, const ObjectData& o) {
  std::vector<Value> items;
  for (const auto& [k, v] : o.entries()) items.push_back(in.make_array({Value::string(k), v}));
  return in.make_array(std::move(items));
}

Value named_filter(Interpreter& in, const Value& x, const std::string& name) {
  if (name == "safe") return x;
  if (name == "tojson") {
    if (x.is_undefined_string()) return x;  // JSON.stringify(undefined) is undefined again
    return in.make_string(to_json(x, JsonOptions{}, in.output_limit()));
  }
  switch (x.kind()) {
    case Kind::array: {
      const auto& items = x.array().items;
      if (name == "list") return x;
      if (name == "first") return items.empty() ? Value::hole() : items.front();
      if (name == "last") return items.empty() ? Value::hole() : items.back();
      if (name == "length") return Value::integer(static_cast<double>(items.size()));
      if (name == "reverse") return in.make_array(std::vector<Value>(items.rbegin(), items.rend()));
      if (name == "sort") return in.make_array(sorted(items, false, false, [](const Value& v) { return v; }));
      if (name == "join") return in.make_string(join_raw(items, "", in.output_limit()));
      if (name == "string") {
        JsonOptions o;
        o.undefined_as_null = false;
        return in.make_string(to_json(x, o, in.output_limit()));
      }
      if (name == "unique") {
        std::unordered_set<std::string> seen;
        std::vector<Value> out;
        for (const Value& v : items)
          if (seen.insert(unique_key(v)).second) out.push_back(v);
        return in.make_array(std::move(out));
      }
      fail("Unknown ArrayValue filter: " + name);
    }
    case Kind::string: {
      if (x.is_undefined_string()) {  // only the filters that do not read the text work on it
        if (name == "join" || name == "string") return x;
        if (name == "int") return Value::integer(0);
        if (name == "float") return Value::floating(0);
        static const char* const kStringFilters[] = {"length",     "upper", "lower", "title",
                                                     "capitalize", "trim",  "indent"};
        if (std::find(std::begin(kStringFilters), std::end(kStringFilters), name) == std::end(kStringFilters))
          fail("Unknown StringValue filter: " + name);
      }
      const std::string& s = x.str();
      if (name == "length") return Value::integer(static_cast<double>(text::utf16_length(s)));
      if (name == "upper") return in.make_string(text::to_upper(s));
      if (name == "lower") return in.make_string(text::to_lower(s));
      if (name == "title") return in.make_string(text::title_case(s));
      if (name == "capitalize") return in.make_string(text::capitalize(s));
      if (name == "trim") return in.make_string(std::string(text::trim(s)));
      if (name == "indent") return in.make_string(indent_lines(s, 4, false, false));
      if (name == "join" || name == "string") return x;
      if (name == "int") {
        const double v = text::parse_int(s);
        return Value::integer(std::isnan(v) ? 0 : v);
      }
      if (name == "float") {
        const double v = text::parse_float(s);
        return Value::floating(std::isnan(v) ? 0 : v);
      }
      fail("Unknown StringValue filter: " + name);
    }
    case Kind::integer:
    case Kind::floating: {
      const double n = x.number();
      if (name == "abs") return x.is(Kind::integer) ? Value::integer(std::fabs(n)) : Value::floating(std::fabs(n));
      if (name == "int") return Value::integer(std::floor(n));
      if (name == "float") return Value::floating(n);
      if (name == "string") return in.make_string(display(x, in.output_limit()));
      fail("Unknown NumericValue filter: " + name);
    }
    case Kind::object: {
      if (name == "items") return pairs(in, x.object());
      if (name == "length") return Value::integer(static_cast<double>(x.object().size()));
      Value builtin = in.object_member(x, name);
      if (builtin.is(Kind::function)) {
        Args none;
        return in.call(builtin, none, nullptr);
      }
      fail("Unknown ObjectValue filter: " + name);
    }
    case Kind::boolean: {
      if (name == "bool") return x;
      if (name == "int") return Value::integer(x.flag() ? 1 : 0);
      if (name == "float") return Value::floating(x.flag() ? 1 : 0);
      if (name == "string") return Value::string(x.flag() ? "true" : "false");
      fail("Unknown BooleanValue filter: " + name);
    }
    case Kind::hole:
      fail_undefined_read("type");
    default:
      fail("Cannot apply filter \"" + name + "\" to type: " + type_name(x));
  }
}

Value tojson_filter(Interpreter& in, const Value& x, const Interpreter::Arguments& a) {
  JsonOptions o;
  const Value* indent = a.keywords->find("indent");
  if (indent != nullptr && !indent->is(Kind::integer) && !indent->is(Kind::null))
    fail("If set, indent must be a number");
  if (indent != nullptr && indent->is(Kind::integer)) o.indent = indent->number();
  const Value* ensure_ascii = a.keywords->find("ensure_ascii");
  if (ensure_ascii != nullptr && !ensure_ascii->is(Kind::boolean)) fail("If set, ensure_ascii must be a boolean");
  o.ensure_ascii = ensure_ascii != nullptr && ensure_ascii->flag();
  const Value* sort_keys = a.keywords->find("sort_keys");
  if (sort_keys != nullptr && !sort_keys->is(Kind::boolean)) fail("If set, sort_keys must be a boolean");
  o.sort_keys = sort_keys != nullptr && sort_keys->flag();
  const Value* separators = a.keywords->find("separators");
  if (separators != nullptr && separators->is(Kind::array)) {
    const auto& parts = separators->array().items;
    if (parts.size() != 2 || !parts[0].is(Kind::string) || !parts[1].is(Kind::string))
      fail("separators must be a tuple of two strings");
    o.separators = std::make_pair(parts[0].str(), parts[1].str());
  } else if (separators != nullptr && !separators->is(Kind::null)) {
    fail("If set, separators must be a tuple of two strings");
  }
  if (x.is_undefined_string() && !o.ensure_ascii) return x;
  return in.make_string(to_json(x, o, in.output_limit()));
}

Value select_attributes(Interpreter& in, const Value& x, const CallExpression& call, const EnvPtr& env, bool select) {
  const std::string name = select ? "selectattr" : "rejectattr";
  const auto& items = x.array().items;
  for (const Value& item : items)
    if (!item.is_container()) fail("`" + name + "` can only be applied to array of objects");
  for (const auto& arg : call.args)
    if (arg->type != NodeType::string_literal) fail("arguments of `" + name + "` must be strings");
  std::vector<Value> args;
  for (const auto& arg : call.args) args.push_back(in.eval(*arg, env));
  const std::string* test_name = args.size() > 1 ? &args[1].str() : nullptr;
  if (test_name != nullptr && !Interpreter::has_test(*test_name)) fail("Unknown test: " + *test_name);
  const Value* test_arg = args.size() > 2 ? &args[2] : nullptr;
  std::vector<Value> out;
  for (const Value& item : items) {
    if (args.empty()) fail_undefined_read("value");
    const Value* attr = item.object().find(args[0].str());
    bool result = false;
    if (attr != nullptr && !attr->is(Kind::hole))
      result = test_name != nullptr ? in.test(*test_name, *attr, test_arg) : truthy(*attr);
    if (result == select) out.push_back(item);
  }
  return in.make_array(std::move(out));
}

Value call_filter(Interpreter& in, const Value& x, const CallExpression& call, const EnvPtr& env) {
  if (call.callee->type != NodeType::identifier)
    fail(std::string("Unknown filter: ") + node_type_name(call.callee->type));
  const std::string& name = as<Identifier>(*call.callee).name;
  if (name == "tojson") return tojson_filter(in, x, in.eval_args(call.args, env));
  if (name == "join") {
    if (!x.is(Kind::string) && !x.is(Kind::array)) {
      if (x.is(Kind::hole)) fail_undefined_read("type");
      fail("Cannot apply filter \"join\" to type: " + std::string(type_name(x)));
    }
    if (x.is(Kind::array))
      for (const Value& v : x.array().items)
        if (v.is(Kind::hole)) fail_undefined_read("value");
    const auto a = in.eval_args(call.args, env);
    const Value* sep = argument(a, 0, "separator");
    if (sep != nullptr && !sep->is(Kind::string)) fail("separator must be a string");
    const std::string separator = sep != nullptr ? sep->str() : "";
    if (x.is(Kind::array)) return in.make_string(join_raw(x.array().items, separator, in.output_limit()));
    std::string out;
    const auto chars = text::code_points(x.str());
    for (size_t i = 0; i < chars.size(); ++i) {
      if (i > 0) out += separator;
      out += chars[i];
      in.check_size(out.size());
    }
    return in.make_string(std::move(out));
  }
  if (name == "int" || name == "float") {
    const bool integer = name == "int";
    const auto a = in.eval_args(call.args, env);
    const Value* given = argument(a, 0, "default");
    const Value fallback = given != nullptr ? *given : integer ? Value::integer(0) : Value::floating(0);
    if (x.is(Kind::string)) {
      if (x.is_undefined_string()) return fallback;  // parseInt(undefined) is NaN
      const double v = integer ? text::parse_int(x.str()) : text::parse_float(x.str());
      if (std::isnan(v)) return fallback;
      return integer ? Value::integer(v) : Value::floating(v);
    }
    if (x.is_number()) return x;
    if (x.is(Kind::boolean)) return integer ? Value::integer(x.flag() ? 1 : 0) : Value::floating(x.flag() ? 1 : 0);
    if (x.is(Kind::hole)) fail_undefined_read("type");
    fail("Cannot apply filter \"" + name + "\" to type: " + type_name(x));
  }
  if (name == "default") {
    const auto a = in.eval_args(call.args, env);
    const Value fallback =
        !a.positional.empty() && !a.positional[0].is(Kind::hole) ? a.positional[0] : Value::string("");
    const Value* flag = argument(a, 1, "boolean");
    if (flag != nullptr && !flag->is(Kind::boolean)) fail("`default` filter flag must be a boolean");
    const bool boolean = flag != nullptr && flag->flag();
    if (x.is(Kind::undefined) || (boolean && !truthy(x))) return fallback;
    return x;
  }
  switch (x.kind()) {
    case Kind::array: {
      if (name == "sort") {
        const auto a = in.eval_args(call.args, env);
        const Value* reverse = argument(a, 0, "reverse");
        if (reverse != nullptr && !reverse->is(Kind::boolean)) fail("reverse must be a boolean");
        const Value* case_sensitive = argument(a, 1, "case_sensitive");
        if (case_sensitive != nullptr && !case_sensitive->is(Kind::boolean)) fail("case_sensitive must be a boolean");
        const Value* attribute = argument(a, 2, "attribute");
        if (attribute != nullptr && !attribute->is(Kind::string) && !attribute->is(Kind::integer) &&
            !attribute->is(Kind::null))
          fail("attribute must be a string, integer, or null");
        std::string path;
        const bool by_attribute = attribute != nullptr && !attribute->is(Kind::null);
        if (by_attribute)
          path = attribute->is(Kind::integer) ? text::number_to_string(attribute->number()) : attribute->str();
        return in.make_array(sorted(x.array().items, reverse != nullptr && reverse->flag(),
                                    case_sensitive != nullptr && case_sensitive->flag(),
                                    [&](const Value& v) { return by_attribute ? get_attribute(v, path) : v; }));
      }
      if (name == "selectattr" || name == "rejectattr")
        return select_attributes(in, x, call, env, name == "selectattr");
      if (name == "map") {
        const auto a = in.eval_args(call.args, env);
        const Value* attribute = a.keywords->find("attribute");
        if (attribute == nullptr) fail("`map` expressions without `attribute` set are not currently supported.");
        if (!attribute->is(Kind::string)) fail("attribute must be a string");
        const Value* fallback = a.keywords->find("default");
        std::vector<Value> out;
        for (const Value& item : x.array().items) {
          if (!item.is_container()) fail("items in map must be an object");
          Value v = get_attribute(item, attribute->str());
          if (v.is(Kind::undefined) && fallback != nullptr) v = *fallback;
          out.push_back(std::move(v));
        }
        return in.make_array(std::move(out));
      }
      fail("Unknown ArrayValue filter: " + name);
    }
    case Kind::string: {
      if (x.is_undefined_string() && name != "indent" && name != "replace") fail("Unknown StringValue filter: " + name);
      if (name == "indent") {
        const auto a = in.eval_args(call.args, env);
        const Value* width = argument(a, 0, "width");
        if (width != nullptr && !width->is(Kind::integer)) fail("width must be a number");
        const Value* first = argument(a, 1, "first");
        const Value* blank = argument(a, 2, "blank");
        return in.make_string(indent_lines(x.str(), width != nullptr ? width->number() : 4,
                                           first != nullptr && js_truthy(*first),
                                           blank != nullptr && js_truthy(*blank)));
      }
      if (name == "replace") {
        auto a = in.eval_args(call.args, env);
        a.positional.push_back(Interpreter::kwargs_value(a.keywords));
        return in.call(in.string_member(x, "replace"), a.positional, env);
      }
      fail("Unknown StringValue filter: " + name);
    }
    case Kind::object: {
      const Value builtin = in.object_member(x, name);
      if (!builtin.is(Kind::function)) fail("Unknown ObjectValue filter: " + name);
      auto a = in.eval_args(call.args, env);
      if (a.keywords->size() > 0) a.positional.push_back(Interpreter::kwargs_value(a.keywords));
      return in.call(builtin, a.positional, env);
    }
    case Kind::hole:
      fail_undefined_read("type");
    default:
      fail("Cannot apply filter \"" + name + "\" to type: " + type_name(x));
  }
}

constexpr std::string_view kTests[] = {"boolean", "callable", "odd",       "even",     "false",   "true",     "none",
                                       "string",  "number",   "integer",   "iterable", "mapping", "sequence", "lower",
                                       "upper",   "defined",  "undefined", "equalto",  "eq"};

}  // namespace

Value Interpreter::apply_filter(const Value& operand, const Node& filter, const EnvPtr& env) {
  if (filter.type == NodeType::identifier) return named_filter(*this, operand, as<Identifier>(filter).name);
  if (filter.type == NodeType::call) return call_filter(*this, operand, as<CallExpression>(filter), env);
  fail(std::string("Unknown filter: ") + node_type_name(filter.type));
}

bool Interpreter::has_test(std::string_view name) {
  return std::find(std::begin(kTests), std::end(kTests), name) != std::end(kTests);
}

bool Interpreter::test(std::string_view name, const Value& x, const Value* arg) {
  // Tests that only use `instanceof` answer false for a raw undefined; the others read a property of it.
  if (name == "callable") return x.is(Kind::function);
  if (name == "number") return x.is_number();
  if (name == "integer") return x.is(Kind::integer);
  if (name == "mapping") return x.is(Kind::object);
  if (name == "sequence") return x.is(Kind::array) || x.is(Kind::object) || x.is(Kind::string);
  if (x.is(Kind::hole))
    fail_undefined_read(name == "lower" || name == "upper" || name == "equalto" || name == "eq" ? "value" : "type");
  if (name == "boolean") return x.is(Kind::boolean);
  if (name == "odd" || name == "even") {
    if (!x.is(Kind::integer)) fail("cannot " + std::string(name) + " on " + type_name(x));
    const bool odd = std::fmod(x.number(), 2) != 0;
    return name == "odd" ? odd : !odd;
  }
  if (name == "false") return x.is(Kind::boolean) && !x.flag();
  if (name == "true") return x.is(Kind::boolean) && x.flag();
  if (name == "none") return x.is(Kind::null);
  if (name == "string") return x.is(Kind::string);
  if (name == "iterable") return (x.is(Kind::array) && !x.array().tuple) || x.is(Kind::string);
  if (name == "lower") return x.is(Kind::string) && x.str() == text::to_lower(x.str());
  if (name == "upper") return x.is(Kind::string) && x.str() == text::to_upper(x.str());
  if (name == "defined") return !x.is(Kind::undefined);
  if (name == "undefined") return x.is(Kind::undefined);
  if (name == "equalto" || name == "eq") {
    if (arg == nullptr) fail_undefined_read("value");
    return strict_equals(x, *arg);
  }
  fail("Unknown test: " + std::string(name));
}

}  // namespace transformers::jinja
