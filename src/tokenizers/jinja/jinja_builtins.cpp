// Built-in members of strings (upper, strip, split, replace, startswith, ...) and mappings (get, items,
// keys, values, dictsort), and the globals (namespace, range, raise_exception, strftime_now, true/false/
// none), as @huggingface/jinja defines them. Note what it does that Python does not: strip/lstrip/rstrip
// ignore their argument and strip whitespace, split(sep, maxsplit) follows JavaScript's split.
#include <chrono>
#include <cmath>
#include <ctime>

#include "tokenizers/jinja/jinja_interpreter.hpp"
#include "tokenizers/jinja/jinja_sort.hpp"
#include "tokenizers/jinja/jinja_strings.hpp"

namespace transformers::jinja {

namespace {

bool is_kwargs(const Value& v) { return v.is(Kind::object) && v.object().kwargs; }

const Value* positional(const Args& args, size_t i) {
  return i < args.size() && !args[i].is(Kind::hole) ? &args[i] : nullptr;
}

// utils.ts replace(): Python's str.replace(old, new, count) through a global regular expression (an
// empty `old` matches at every code point boundary).
std::string replace_all(std::string_view s, std::string_view from, std::string_view to, double count, size_t limit) {
  if (count == 0) return std::string(s);
  double remaining = count < 0 ? INFINITY : count;  // NaN replaces nothing
  std::string out;
  if (from.empty()) {
    const auto chars = text::code_points(s);
    for (size_t i = 0; i <= chars.size(); ++i) {
      if (remaining > 0) {
        out += to;
        --remaining;
      }
      if (i < chars.size()) out += chars[i];
      if (out.size() > limit) fail("the rendered text would exceed the limit of " + std::to_string(limit) + " bytes");
    }
    return out;
  }
  size_t pos = 0;
  while (remaining > 0) {
    const size_t hit = s.find(from, pos);
    if (hit == std::string_view::npos) break;
    out.append(s.substr(pos, hit - pos));
    out += to;
    pos = hit + from.size();
    --remaining;
    if (out.size() > limit) fail("the rendered text would exceed the limit of " + std::to_string(limit) + " bytes");
  }
  out.append(s.substr(pos));
  return out;
}

std::vector<std::string> split_js(std::string_view s, std::string_view sep) {  // String#split(sep), sep non-empty
  std::vector<std::string> parts;
  size_t pos = 0;
  for (;;) {
    const size_t hit = s.find(sep, pos);
    if (hit == std::string_view::npos) break;
    parts.emplace_back(s.substr(pos, hit - pos));
    pos = hit + sep.size();
  }
  parts.emplace_back(s.substr(pos));
  return parts;
}

Value split(Interpreter& in, const std::string& s, const Args& args) {
  const Value* sep = positional(args, 0);
  if (sep != nullptr && !sep->is(Kind::string) && !sep->is(Kind::null)) fail("sep argument must be a string or null");
  const Value* maxsplit_v = positional(args, 1);
  if (maxsplit_v != nullptr && !maxsplit_v->is(Kind::integer)) fail("maxsplit argument must be a number");
  const double maxsplit = maxsplit_v != nullptr ? maxsplit_v->number() : -1;
  std::vector<std::string> parts;
  if (sep == nullptr || sep->is(Kind::null)) {
    // Runs of whitespace separate; with maxsplit, the rest (from the next word on) is the last part.
    const std::string_view rest = text::trim_start(s);
    size_t i = 0;
    while (i < rest.size()) {
      size_t start = i;
      while (start < rest.size() && text::space_at(rest, start) > 0) start += text::space_at(rest, start);
      if (start >= rest.size()) break;
      size_t end = start;
      while (end < rest.size() && text::space_at(rest, end) == 0) {
        char32_t cp;
        end += text::decode(rest, end, cp);
      }
      if (maxsplit != -1 && static_cast<double>(parts.size()) >= maxsplit) {
        parts.emplace_back(rest.substr(start));
        break;
      }
      parts.emplace_back(rest.substr(start, end - start));
      i = end;
    }
  } else {
    if (sep->str().empty()) fail("empty separator");
    parts = split_js(s, sep->str());
    if (maxsplit != -1 && static_cast<double>(parts.size()) > maxsplit) {
      // result.push(result.splice(maxsplit).join(sep))
      const double n = static_cast<double>(parts.size());
      double at = std::isnan(maxsplit) ? 0 : std::trunc(maxsplit);
      at = at < 0 ? std::max(n + at, 0.0) : std::min(at, n);
      const auto cut = static_cast<size_t>(at);
      std::string joined;
      for (size_t i = cut; i < parts.size(); ++i) joined += (i > cut ? sep->str() : "") + parts[i];
      parts.resize(cut);
      parts.push_back(std::move(joined));
    }
  }
  std::vector<Value> items;
  for (auto& p : parts) items.push_back(Value::string(std::move(p)));
  return in.make_array(std::move(items));
}

Value affix_test(const std::string& s, const Args& args, bool prefix) {
  const char* name = prefix ? "startswith" : "endswith";
  auto matches = [&](const std::string& p) {
    return p.size() <= s.size() &&
           (prefix ? s.compare(0, p.size(), p) == 0 : s.compare(s.size() - p.size(), p.size(), p) == 0);
  };
  if (args.empty()) fail(std::string(name) + "() requires at least one argument");
  const Value& pattern = args[0];
  if (pattern.is(Kind::string)) return Value::boolean(matches(pattern.str()));
  if (pattern.is(Kind::array)) {
    for (const Value& item : pattern.array().items) {
      if (!item.is(Kind::string)) fail(std::string(name) + "() tuple elements must be strings");
      if (matches(item.str())) return Value::boolean(true);
    }
    return Value::boolean(false);
  }
  fail(std::string(name) + "() argument must be a string or tuple of strings");
}

Value replace_method(Interpreter& in, const std::string& s, const Args& args) {
  if (args.size() < 2) fail("replace() requires at least two arguments");
  if (!args[0].is(Kind::string) || !args[1].is(Kind::string)) fail("replace() arguments must be strings");
  Value count = Value::null();
  if (args.size() > 2) {
    if (args[2].is(Kind::hole)) fail_undefined_read("type");
    if (is_kwargs(args[2])) {
      const Value* c = args[2].object().find("count");
      if (c != nullptr && !c->is(Kind::hole)) count = *c;
    } else {
      count = args[2];
    }
  }
  if (!count.is(Kind::integer) && !count.is(Kind::null)) fail("replace() count argument must be a number or null");
  const double n = count.is(Kind::null) ? -1 : count.number();
  return in.make_string(replace_all(s, args[0].str(), args[1].str(), n, in.output_limit()));
}

Value dictsort(Interpreter& in, const Value& self, const Args& args) {
  std::shared_ptr<ObjectData> kwargs = std::make_shared<ObjectData>();
  Args pos;
  for (const Value& a : args) {
    if (is_kwargs(a))
      kwargs = a.object_ptr();
    else
      pos.push_back(a);
  }
  auto option = [&](size_t i, const char* key) -> const Value* {
    if (const Value* v = positional(pos, i)) return v;
    const Value* v = kwargs->find(key);
    return v != nullptr && !v->is(Kind::hole) ? v : nullptr;
  };
  const Value* case_sensitive = option(0, "case_sensitive");
  if (case_sensitive != nullptr && !case_sensitive->is(Kind::boolean)) fail("case_sensitive must be a boolean");
  const Value* by = option(1, "by");
  if (by != nullptr && !by->is(Kind::string)) fail("by must be a string");
  const bool by_value = by != nullptr && by->str() == "value";
  if (by != nullptr && !by_value && by->str() != "key") fail("by must be either 'key' or 'value'");
  const Value* reverse = option(2, "reverse");
  if (reverse != nullptr && !reverse->is(Kind::boolean)) fail("reverse must be a boolean");
  std::vector<std::pair<Value, Value>> entries;
  for (const auto& [k, v] : self.object().entries()) entries.emplace_back(Value::string(k), v);
  const bool cs = case_sensitive != nullptr && case_sensitive->flag();
  const bool rev = reverse != nullptr && reverse->flag();
  js_sort(entries, [&](const auto& a, const auto& b) {
    const int r = by_value ? compare_values(a.second, b.second, cs) : compare_values(a.first, b.first, cs);
    return rev ? -r : r;
  });
  std::vector<Value> items;
  for (auto& [k, v] : entries) items.push_back(in.make_array({k, v}));
  return in.make_array(std::move(items));
}

// The raw JavaScript number range() sees for an argument; undefined (or absent) is NaN.
double range_number(const Args& args, size_t i) {
  if (i >= args.size()) return NAN;
  const Value& v = args[i];
  switch (v.kind()) {
    case Kind::hole:
    case Kind::undefined:
    case Kind::null:
      return NAN;  // NullValue's raw value is undefined too
    case Kind::boolean:
    case Kind::integer:
    case Kind::floating:
      return v.number();
    default:
      fail(std::string("range() expects numbers, got ") + type_name(v));
  }
}

std::string strftime_now(const std::string& format) {
  static const char* const kMonths[] = {"January", "February", "March",     "April",   "May",      "June",
                                        "July",    "August",   "September", "October", "November", "December"};
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm t{};
  localtime_r(&now, &t);
  auto pad2 = [](int n) { return (n < 10 ? "0" : "") + std::to_string(n); };
  std::string out;
  for (size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%' || i + 1 >= format.size()) {
      out += format[i];
      continue;
    }
    const char c = format[++i];
    switch (c) {
      case 'Y':
        out += std::to_string(t.tm_year + 1900);
        break;
      case 'm':
        out += pad2(t.tm_mon + 1);
        break;
      case 'd':
        out += pad2(t.tm_mday);
        break;
      case 'b':
        out += std::string(kMonths[t.tm_mon]).substr(0, 3);
        break;
      case 'B':
        out += kMonths[t.tm_mon];
        break;
      case 'H':
        out += pad2(t.tm_hour);
        break;
      case 'M':
        out += pad2(t.tm_min);
        break;
      case '%':
        out += '%';
        break;
      default:
        out += '%';
        out += c;
    }
  }
  return out;
}

}  // namespace

Value Interpreter::string_member(const Value& self, std::string_view name) {
  const std::string& s = self.str();
  if (name == "length") return Value::integer(static_cast<double>(text::utf16_length(s)));
  using Op = Value (*)(Interpreter&, const Value&, Args&);
  static const std::pair<std::string_view, Op> kMethods[] = {
      {"upper", [](Interpreter& in, const Value& v, Args&) { return in.make_string(text::to_upper(v.str())); }},
      {"lower", [](Interpreter& in, const Value& v, Args&) { return in.make_string(text::to_lower(v.str())); }},
      {"strip",
       [](Interpreter& in, const Value& v, Args&) { return in.make_string(std::string(text::trim(v.str()))); }},
      {"title", [](Interpreter& in, const Value& v, Args&) { return in.make_string(text::title_case(v.str())); }},
      {"capitalize", [](Interpreter& in, const Value& v, Args&) { return in.make_string(text::capitalize(v.str())); }},
      {"rstrip",
       [](Interpreter& in, const Value& v, Args&) { return in.make_string(std::string(text::trim_end(v.str()))); }},
      {"lstrip",
       [](Interpreter& in, const Value& v, Args&) { return in.make_string(std::string(text::trim_start(v.str()))); }},
      {"startswith", [](Interpreter&, const Value& v, Args& a) { return affix_test(v.str(), a, true); }},
      {"endswith", [](Interpreter&, const Value& v, Args& a) { return affix_test(v.str(), a, false); }},
      {"split", [](Interpreter& in, const Value& v, Args& a) { return split(in, v.str(), a); }},
      {"replace", [](Interpreter& in, const Value& v, Args& a) { return replace_method(in, v.str(), a); }},
  };
  for (const auto& [method, op] : kMethods) {
    if (method != name) continue;
    return Value::function(std::string(method),
                           [this, self, op = op](Args& args, const EnvPtr&) { return op(*this, self, args); });
  }
  return Value();
}

Value Interpreter::object_member(const Value& self, std::string_view name) {
  if (name == "get") {
    return Value::function("get", [self](Args& args, const EnvPtr&) {
      if (args.empty() || args[0].is(Kind::hole)) fail_undefined_read("type");
      if (!args[0].is(Kind::string)) fail(std::string("Object key must be a string: got ") + type_name(args[0]));
      const Value* found = self.object().find(args[0].str());
      if (found != nullptr && !found->is(Kind::hole)) return *found;
      if (const Value* fallback = positional(args, 1)) return *fallback;
      return Value::null();
    });
  }
  if (name == "items")
    return Value::function("items", [this, self](Args&, const EnvPtr&) {
      std::vector<Value> items;
      for (const auto& [k, v] : self.object().entries()) items.push_back(make_array({Value::string(k), v}));
      return make_array(std::move(items));
    });
  if (name == "keys")
    return Value::function("keys", [this, self](Args&, const EnvPtr&) {
      std::vector<Value> items;
      for (const auto& [k, v] : self.object().entries()) items.push_back(Value::string(k));
      return make_array(std::move(items));
    });
  if (name == "values")
    return Value::function("values", [this, self](Args&, const EnvPtr&) {
      std::vector<Value> items;
      for (const auto& [k, v] : self.object().entries()) items.push_back(v);
      return make_array(std::move(items));
    });
  if (name == "dictsort")
    return Value::function("dictsort", [this, self](Args& args, const EnvPtr&) { return dictsort(*this, self, args); });
  return Value();
}

void Interpreter::define_globals(Env& global) {
  auto& vars = global.vars;
  vars.emplace("false", Value::boolean(false));
  vars.emplace("true", Value::boolean(true));
  vars.emplace("none", Value::null());
  vars.emplace("True", Value::boolean(true));
  vars.emplace("False", Value::boolean(false));
  vars.emplace("None", Value::null());
  vars.emplace("raise_exception", Value::function("raise_exception", [this](Args& args, const EnvPtr&) -> Value {
                 for (const Value& a : args)
                   if (a.is(Kind::hole)) fail_undefined_read("value");
                 // new Error(message): String(message), or "" when there is none.
                 const std::string message = args.empty() || args[0].is(Kind::undefined) || args[0].is(Kind::null)
                                                 ? ""
                                                 : js_string(args[0], output_limit());
                 throw RuntimeError(message, /*raised=*/true);
               }));
  vars.emplace("range", Value::function("range", [this](Args& args, const EnvPtr&) {
                 for (const Value& a : args)
                   if (a.is(Kind::hole)) fail_undefined_read("value");
                 // range(stop) or range(start, stop[, step]), as utils.ts runs it on the raw values, where none is
                 // undefined too: an undefined stop makes range(start), an undefined step is 1, an undefined start NaN.
                 auto given = [&](size_t i) {
                   return i < args.size() && !args[i].is(Kind::undefined) && !args[i].is(Kind::null);
                 };
                 const double from = given(1) ? range_number(args, 0) : 0.0;
                 const double to = given(1) ? range_number(args, 1) : range_number(args, 0);
                 const double step = given(2) ? range_number(args, 2) : 1;
                 if (step == 0) fail("range() step must not be zero");
                 // Refuse an oversized range before building it: filling millions of values only to fail is slow.
                 // The count is an estimate (rounding); the check in the loop stays the exact one.
                 const double estimated = std::ceil((to - from) / step);
                 if (estimated > static_cast<double>(limits_.max_list_items) + 1)
                   fail("range() would make more than " + std::to_string(limits_.max_list_items) + " items");
                 std::vector<Value> items;
                 for (double i = from; step > 0 ? i < to : i > to; i += step) {
                   if (items.size() >= limits_.max_list_items)
                     fail("range() would make more than " + std::to_string(limits_.max_list_items) + " items");
                   items.push_back(std::trunc(i) == i ? Value::integer(i) : Value::floating(i));
                 }
                 return make_array(std::move(items));
               }));
  vars.emplace("strftime_now", Value::function("strftime_now", [this](Args& args, const EnvPtr&) {
                 if (args.empty() || !args[0].is(Kind::string)) fail("strftime_now() expects a format string");
                 return make_string(strftime_now(args[0].str()));
               }));
  vars.emplace("namespace", Value::function("namespace", [this](Args& args, const EnvPtr&) {
                 Args pos = args;
                 std::shared_ptr<ObjectData> kwargs;
                 if (!pos.empty() && is_kwargs(pos.back())) {
                   kwargs = pos.back().object_ptr();
                   pos.pop_back();
                 }
                 if (pos.size() > 1) fail("namespace expected at most 1 argument, got " + std::to_string(pos.size()));
                 auto entries = std::make_shared<ObjectData>();
                 if (pos.size() == 1) {
                   const Value& source = pos[0];
                   if (source.is(Kind::object)) {
                     for (const auto& [k, v] : source.object().entries()) entries->set(k, v);
                   } else if (source.is(Kind::array)) {
                     for (const Value& pair : source.array().items) {
                       std::vector<Value> kv;
                       if (pair.is(Kind::array)) kv = pair.array().items;
                       if (pair.is(Kind::string))
                         for (auto c : text::code_points(pair.str())) kv.push_back(Value::string(std::string(c)));
                       if (kv.size() != 2) fail("namespace expected an object or an iterable of [key, value] pairs");
                       if (!kv[0].is(Kind::string)) fail("namespace keys must be strings");
                       entries->set(kv[0].str(), kv[1]);
                     }
                   } else {
                     if (source.is(Kind::hole)) fail_undefined_read("type");
                     fail(std::string("'") + type_name(source) + "' object is not iterable");
                   }
                 }
                 if (kwargs)
                   for (const auto& [k, v] : kwargs->entries()) entries->set(k, v);
                 return make_namespace(std::move(entries));
               }));
}

}  // namespace transformers::jinja
