#include "tokenizers/jinja/jinja_value.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "tokenizers/jinja/jinja_sort.hpp"
#include "tokenizers/jinja/jinja_strings.hpp"

namespace transformers::jinja {

void fail(std::string message) { throw RuntimeError(std::move(message)); }

void fail_undefined_read(const char* property) {
  throw RuntimeError(std::string("Cannot read properties of undefined (reading '") + property + "')");
}

void Budget::add(size_t bytes) {
  if (bytes > limit - live)
    fail("the template holds more than " + std::to_string(limit >> 20) + " MiB of strings, lists and mappings at once");
  live += bytes;
}

Budget*& Budget::current() {
  thread_local Budget* budget = nullptr;
  return budget;
}

StringData::StringData(std::string text) : s(std::move(text)), budget(Budget::current()), bytes(s.size() + 32) {
  if (budget != nullptr) budget->add(bytes);
}
StringData::~StringData() {
  if (budget != nullptr) budget->sub(bytes);
}

ArrayData::~ArrayData() {
  if (budget != nullptr) budget->sub(bytes);
}

ObjectData::ObjectData() : budget_(Budget::current()) {}
ObjectData::~ObjectData() {
  if (budget_ != nullptr) budget_->sub(bytes_);
}

namespace {

void check_limit(const std::string& out, size_t limit) {
  if (out.size() > limit) fail("the rendered text would exceed the limit of " + std::to_string(limit) + " bytes");
}

// FloatValue#toString: integral values keep one decimal ("2.0"), -0 is "-0.0".
std::string float_display(double x) {
  if (x == 0 && std::signbit(x)) return "-0.0";
  if (std::isfinite(x) && std::fmod(x, 1.0) == 0) {
    if (std::fabs(x) >= 1e21) return text::number_to_string(x);  // toFixed's own limit
    char buf[400];
    std::snprintf(buf, sizeof buf, "%.1f", x);
    return buf;
  }
  return text::number_to_string(x);
}

std::string function_text(const Value& v) { return "function " + v.function().name + "() { [native code] }"; }

void append_hex4(std::string& out, uint16_t unit) {  // one UTF-16 code unit: exactly four digits
  char buf[8];
  std::snprintf(buf, sizeof buf, "\\u%04x", unit);
  out += buf;
}

// JSON.stringify(s), then (ensure_ascii) every code unit from U+007F up as \uXXXX.
void quote(std::string& out, std::string_view s, bool ensure_ascii) {
  out += '"';
  for (size_t i = 0; i < s.size();) {
    char32_t cp;
    const size_t n = text::decode(s, i, cp);
    switch (cp) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (cp < 0x20) {
          append_hex4(out, static_cast<uint16_t>(cp));
        } else if (ensure_ascii && cp >= 0x7F) {
          if (cp == text::kInvalid) {
            append_hex4(out, 0xFFFD);
          } else if (cp >= 0x10000) {
            append_hex4(out, static_cast<uint16_t>(0xD800 + ((cp - 0x10000) >> 10)));
            append_hex4(out, static_cast<uint16_t>(0xDC00 + ((cp - 0x10000) & 0x3FF)));
          } else {
            append_hex4(out, static_cast<uint16_t>(cp));
          }
        } else {
          out.append(s.substr(i, n));
        }
    }
    i += n;
  }
  out += '"';
}

void json_into(std::string& out, const Value& v, const JsonOptions& o, size_t depth, size_t limit) {
  if (depth > kMaxValueNesting) fail("a value nests too deeply to convert to JSON (a namespace that contains itself?)");
  switch (v.kind()) {
    case Kind::null:
      out += "null";
      return;
    case Kind::undefined:
      out += o.undefined_as_null ? "null" : "undefined";
      return;
    case Kind::integer:
    case Kind::floating:
      out += std::isfinite(v.number()) ? text::number_to_string(v.number()) : "null";
      return;
    case Kind::boolean:
      out += v.flag() ? "true" : "false";
      return;
    case Kind::string:
      if (v.is_undefined_string()) {  // JSON.stringify(undefined) is undefined: "undefined" in a mapping
        if (o.ensure_ascii) fail_undefined_read("replace");
        out += "undefined";
        break;
      }
      quote(out, v.str(), o.ensure_ascii);
      break;
    case Kind::array:
    case Kind::object:
    case Kind::namespace_: {
      if ((v.is(Kind::array) && v.array().tuple) || (v.is(Kind::object) && v.object().kwargs))
        fail(std::string("Cannot convert to JSON: ") + type_name(v));
      std::string pad;
      const bool indented = o.indent && *o.indent != 0 && !std::isnan(*o.indent);
      if (indented) {
        if (*o.indent < 0 || !std::isfinite(*o.indent))
          fail("Invalid count value: " + text::number_to_string(*o.indent));
        pad.assign(static_cast<size_t>(*o.indent), ' ');
      }
      const std::string item_sep = o.separators ? o.separators->first : indented ? "," : ", ";
      const std::string key_sep = o.separators ? o.separators->second : ": ";
      std::string base = "\n";
      for (size_t d = 0; d < depth && indented; ++d) base += pad;
      const std::string children = base + pad;
      if (v.is(Kind::array)) {
        const auto& items = v.array().items;
        out += '[';
        for (size_t i = 0; i < items.size(); ++i) {
          if (i > 0) out += item_sep;
          if (indented) out += children;
          if (items[i].is(Kind::hole)) fail_undefined_read("type");
          if (items[i].is_undefined_string() && !o.ensure_ascii) continue;  // and nothing in a list (join)
          json_into(out, items[i], o, depth + 1, limit);
          check_limit(out, limit);
        }
        if (indented && items.empty()) out += children;  // 0.5.10 writes "[\n  \n]" for an empty list
        if (indented) out += base;
        out += ']';
      } else {
        std::vector<const std::pair<std::string, Value>*> entries;
        for (const auto& e : v.object().entries()) entries.push_back(&e);
        if (o.sort_keys) js_sort(entries, [](auto* a, auto* b) { return text::locale_compare(a->first, b->first); });
        out += '{';
        for (size_t i = 0; i < entries.size(); ++i) {
          if (i > 0) out += item_sep;
          if (indented) out += children;
          quote(out, entries[i]->first, o.ensure_ascii);
          out += key_sep;
          if (entries[i]->second.is(Kind::hole)) fail_undefined_read("type");
          json_into(out, entries[i]->second, o, depth + 1, limit);
          check_limit(out, limit);
        }
        if (indented) out += base;  // and "{\n}" for an empty mapping
        out += '}';
      }
      break;
    }
    case Kind::hole:
      fail_undefined_read("type");
    case Kind::function:
      fail("Cannot convert to JSON: FunctionValue");
  }
  check_limit(out, limit);
}

// The raw JavaScript value behind a Value, for loose equality. NullValue's raw value is `undefined` in
// @huggingface/jinja (its constructor's default argument), which `==` cannot tell from null anyway.
struct Raw {
  enum Type { undef, boolean, number, string, object };
  Type type;
  double n = 0;
  std::string s;
  const Value* value = nullptr;  // for Type::object
  explicit Raw(Type t, double number = 0, std::string text = {}) : type(t), n(number), s(std::move(text)) {}
};

Raw raw(const Value& v) {
  switch (v.kind()) {
    case Kind::hole:
      fail_undefined_read("value");
    case Kind::undefined:
    case Kind::null:
      return Raw(Raw::undef);
    case Kind::boolean:
      return Raw(Raw::boolean, v.flag() ? 1.0 : 0.0);
    case Kind::integer:
    case Kind::floating:
      return Raw(Raw::number, v.number());
    case Kind::string:
      return v.is_undefined_string() ? Raw(Raw::undef) : Raw(Raw::string, 0, v.str());
    default: {
      Raw r(Raw::object);
      r.value = &v;
      return r;
    }
  }
}

// ToPrimitive of an object: a list joins its items, a Map is "[object Map]".
Raw primitive(const Raw& r) {
  const Value& v = *r.value;
  return Raw(Raw::string, 0,
             v.is(Kind::array)      ? js_string(v, size_t{1} << 26)
             : v.is(Kind::function) ? function_text(v)
                                    : "[object Map]");
}

bool loose(const Raw& a, const Raw& b) {
  if (a.type == b.type) {
    switch (a.type) {
      case Raw::undef:
        return true;
      case Raw::boolean:
      case Raw::number:
        return a.n == b.n;
      case Raw::string:
        return a.s == b.s;
      case Raw::object:
        return a.value->identity() == b.value->identity();
    }
  }
  if (a.type == Raw::undef || b.type == Raw::undef) return false;
  if (a.type == Raw::number && b.type == Raw::string) return a.n == text::string_to_number(b.s);
  if (a.type == Raw::string && b.type == Raw::number) return text::string_to_number(a.s) == b.n;
  if (a.type == Raw::boolean) return loose(Raw(Raw::number, a.n), b);
  if (b.type == Raw::boolean) return loose(a, Raw(Raw::number, b.n));
  if (a.type == Raw::object && (b.type == Raw::number || b.type == Raw::string)) return loose(primitive(a), b);
  if (b.type == Raw::object && (a.type == Raw::number || a.type == Raw::string)) return loose(a, primitive(b));
  return false;
}

bool is_array_index(const std::string& key) {
  if (key.empty() || key.size() > 10 || key.find_first_not_of("0123456789") != std::string::npos) return false;
  if (key.size() > 1 && key[0] == '0') return false;
  return std::stoull(key) < 4294967295ULL;
}

Value convert(const nlohmann::ordered_json& j, size_t depth) {
  if (depth > kMaxValueNesting) fail("the input nests deeper than " + std::to_string(kMaxValueNesting) + " levels");
  using T = nlohmann::ordered_json::value_t;
  switch (j.type()) {
    case T::null:
      return Value::null();
    case T::boolean:
      return Value::boolean(j.get<bool>());
    case T::number_integer:
      return Value::integer(static_cast<double>(j.get<int64_t>()));
    case T::number_unsigned:
      return Value::integer(static_cast<double>(j.get<uint64_t>()));
    case T::number_float: {
      const double d = j.get<double>();
      return std::isfinite(d) && std::trunc(d) == d ? Value::integer(d) : Value::floating(d);
    }
    case T::string:
      return Value::string(j.get<std::string>());
    case T::array: {
      std::vector<Value> items;
      items.reserve(j.size());
      for (const auto& e : j) items.push_back(convert(e, depth + 1));
      return Value::array(std::move(items));
    }
    case T::object: {
      auto data = std::make_shared<ObjectData>();
      std::vector<std::pair<uint64_t, const std::string*>> indices;  // JavaScript lists these keys first
      for (const auto& [k, e] : j.items())
        if (is_array_index(k)) indices.emplace_back(std::stoull(k), &k);
      std::sort(indices.begin(), indices.end());
      for (const auto& [n, k] : indices) data->set(*k, convert(j.at(*k), depth + 1));
      for (const auto& [k, e] : j.items())
        if (!is_array_index(k)) data->set(k, convert(e, depth + 1));
      return Value::object(std::move(data));
    }
    default:
      fail("binary and discarded JSON values cannot be template variables");
  }
}

}  // namespace

Value Value::hole() {
  Value v;
  v.kind_ = Kind::hole;
  return v;
}
Value Value::null() {
  Value v;
  v.kind_ = Kind::null;
  return v;
}
Value Value::boolean(bool b) {
  Value v;
  v.kind_ = Kind::boolean;
  v.num_ = b ? 1 : 0;
  return v;
}
Value Value::integer(double n) {
  Value v;
  v.kind_ = Kind::integer;
  v.num_ = n;
  return v;
}
Value Value::floating(double n) {
  Value v;
  v.kind_ = Kind::floating;
  v.num_ = n;
  return v;
}
Value Value::string(std::string s) {
  Value v;
  v.kind_ = Kind::string;
  v.ptr_ = std::make_shared<const StringData>(std::move(s));
  return v;
}
Value Value::undefined_string() {
  auto data = std::make_shared<StringData>(std::string());
  data->js_undefined = true;
  Value v;
  v.kind_ = Kind::string;
  v.ptr_ = std::move(data);
  return v;
}
Value Value::array(std::vector<Value> items, bool tuple) {
  auto data = std::make_shared<ArrayData>();
  uint32_t depth = 0;
  for (const auto& i : items) depth = std::max(depth, i.depth());
  if (depth + 1 > kMaxValueNesting) fail("lists nest deeper than " + std::to_string(kMaxValueNesting) + " levels");
  Budget* budget = Budget::current();
  const size_t bytes = items.size() * sizeof(Value) + 64;
  if (budget != nullptr) budget->add(bytes);
  data->budget = budget;
  data->bytes = bytes;
  data->items = std::move(items);
  data->tuple = tuple;
  data->depth = depth + 1;
  Value v;
  v.kind_ = Kind::array;
  v.ptr_ = std::move(data);
  return v;
}
Value Value::object(std::shared_ptr<ObjectData> data) {
  Value v;
  v.kind_ = Kind::object;
  v.ptr_ = std::move(data);
  return v;
}
Value Value::namespace_(std::shared_ptr<ObjectData> data) {
  Value v;
  v.kind_ = Kind::namespace_;
  v.ptr_ = std::move(data);
  return v;
}
Value Value::function(std::string name, std::function<Value(Args&, const EnvPtr&)> call) {
  Value v;
  v.kind_ = Kind::function;
  v.ptr_ = std::make_shared<FunctionData>(FunctionData{std::move(name), std::move(call)});
  return v;
}

const void* Value::identity() const {
  switch (kind_) {
    case Kind::array:
      return std::get<std::shared_ptr<ArrayData>>(ptr_).get();
    case Kind::object:
    case Kind::namespace_:
      return std::get<std::shared_ptr<ObjectData>>(ptr_).get();
    case Kind::function:
      return std::get<std::shared_ptr<FunctionData>>(ptr_).get();
    default:
      return nullptr;
  }
}

uint32_t Value::depth() const {
  switch (kind_) {
    case Kind::array:
      return array().depth;
    case Kind::object:
      return object().depth;
    case Kind::namespace_:
      return 1;
    default:
      return 0;
  }
}

// Small mappings (most: messages, loop) search their entries; larger ones keep a hash index.
constexpr size_t kIndexFrom = 12;

size_t ObjectData::position(std::string_view key) const {
  if (index_.empty()) {
    for (size_t i = 0; i < entries_.size(); ++i)
      if (entries_[i].first == key) return i;
    return entries_.size();
  }
  const auto it = index_.find(key);
  return it == index_.end() ? entries_.size() : it->second;
}

const Value* ObjectData::find(std::string_view key) const {
  const size_t i = position(key);
  return i < entries_.size() ? &entries_[i].second : nullptr;
}

void ObjectData::set(const std::string& key, Value value) {
  const uint32_t d = value.depth() + 1;
  if (d > kMaxValueNesting) fail("mappings nest deeper than " + std::to_string(kMaxValueNesting) + " levels");
  depth = std::max(depth, d);
  if (const size_t i = position(key); i < entries_.size()) {
    entries_[i].second = std::move(value);
    return;
  }
  const size_t bytes = key.size() * 2 + sizeof(Value) + 96;
  if (budget_ != nullptr) budget_->add(bytes);
  bytes_ += bytes;
  entries_.emplace_back(key, std::move(value));
  if (!index_.empty()) {
    index_.emplace(key, entries_.size() - 1);
  } else if (entries_.size() == kIndexFrom) {
    for (size_t i = 0; i < entries_.size(); ++i) index_.emplace(entries_[i].first, i);
  }
}

void ObjectData::clear() {
  entries_.clear();
  index_.clear();
}

const char* type_name(const Value& v) {
  switch (v.kind()) {
    case Kind::undefined:
      return "UndefinedValue";
    case Kind::hole:
      return "undefined";
    case Kind::null:
      return "NullValue";
    case Kind::boolean:
      return "BooleanValue";
    case Kind::integer:
      return "IntegerValue";
    case Kind::floating:
      return "FloatValue";
    case Kind::string:
      return "StringValue";
    case Kind::array:
      return v.array().tuple ? "TupleValue" : "ArrayValue";
    case Kind::object:
      return v.object().kwargs ? "KeywordArgumentsValue" : "ObjectValue";
    case Kind::namespace_:
      return "NamespaceValue";
    case Kind::function:
      return "FunctionValue";
  }
  return "RuntimeValue";
}

bool truthy(const Value& v) {
  switch (v.kind()) {
    case Kind::hole:
      fail_undefined_read("__bool__");
    case Kind::undefined:
    case Kind::null:
      return false;
    case Kind::boolean:
      return v.flag();
    case Kind::integer:
    case Kind::floating:
      return v.number() != 0 && !std::isnan(v.number());
    case Kind::string:
      return !v.is_undefined_string() && !v.str().empty();
    case Kind::array:
      return !v.array().items.empty();
    case Kind::object:
      return v.object().size() > 0;
    case Kind::namespace_:
    case Kind::function:
      return true;
  }
  return false;
}

bool js_truthy(const Value& v) {
  switch (v.kind()) {
    case Kind::hole:
      fail_undefined_read("value");
    case Kind::array:
    case Kind::object:
    case Kind::namespace_:
    case Kind::function:
      return true;
    default:
      return truthy(v);
  }
}

std::string display(const Value& v, size_t limit) {
  switch (v.kind()) {
    case Kind::undefined:
      return "undefined";
    case Kind::hole:
      fail_undefined_read("toString");
    case Kind::null:
      return "undefined";  // NullValue holds undefined; {{ none }} itself prints nothing
    case Kind::boolean:
      return v.flag() ? "true" : "false";
    case Kind::integer:
      return text::number_to_string(v.number());
    case Kind::floating:
      return float_display(v.number());
    case Kind::string:
      return v.is_undefined_string() ? "undefined" : v.str();
    case Kind::function:
      return function_text(v);
    default: {
      JsonOptions o;
      o.undefined_as_null = false;
      return to_json(v, o, limit);
    }
  }
}

std::string js_string(const Value& v, size_t limit) {
  if (v.is_undefined_string()) fail_undefined_read("toString");
  switch (v.kind()) {
    case Kind::integer:
    case Kind::floating:
      return text::number_to_string(v.number());
    case Kind::array: {
      std::string out;
      bool first = true;
      for (const auto& item : v.array().items) {
        if (!first) out += ',';
        first = false;
        if (!item.is(Kind::hole)) out += display(item, limit);
        check_limit(out, limit);
      }
      return out;
    }
    case Kind::object:
    case Kind::namespace_:
      return "[object Map]";
    default:
      return display(v, limit);
  }
}

std::string to_json(const Value& v, const JsonOptions& options, size_t limit) {
  std::string out;
  json_into(out, v, options, 0, limit);
  return out;
}

bool loose_equals(const Value& a, const Value& b) { return loose(raw(a), raw(b)); }

bool strict_equals(const Value& a, const Value& b) {
  if (a.is(Kind::hole) || b.is(Kind::hole)) fail_undefined_read("value");
  // none, undefined and an out-of-range character all have the raw value `undefined`.
  auto undef = [](const Value& v) { return v.is(Kind::undefined) || v.is(Kind::null) || v.is_undefined_string(); };
  if (undef(a) || undef(b)) return undef(a) && undef(b);
  if (a.is_number() && b.is_number()) return a.number() == b.number();
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Kind::boolean:
      return a.flag() == b.flag();
    case Kind::string:
      return a.str() == b.str();
    default:
      return a.identity() == b.identity();
  }
}

bool same_value_zero(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number() && std::isnan(a.number()) && std::isnan(b.number())) return true;
  return strict_equals(a, b);
}

int compare_values(const Value& a, const Value& b, bool case_sensitive) {
  if (a.is(Kind::hole) || b.is(Kind::hole)) fail_undefined_read("type");
  if (a.is(Kind::null) && b.is(Kind::null)) return 0;
  if (a.is(Kind::null) || b.is(Kind::null))
    fail(std::string("Cannot compare ") + type_name(a) + " with " + type_name(b));
  if (a.is(Kind::undefined) && b.is(Kind::undefined)) return 0;
  if (a.is(Kind::undefined) || b.is(Kind::undefined))
    fail(std::string("Cannot compare ") + type_name(a) + " with " + type_name(b));
  if (a.is_numeric_like() && b.is_numeric_like()) {
    const double x = a.number(), y = b.number();
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (std::string_view(type_name(a)) != type_name(b))
    fail(std::string("Cannot compare different types: ") + type_name(a) + " and " + type_name(b));
  if (a.is(Kind::string)) {
    if (case_sensitive) return text::compare_utf16(a.str(), b.str());
    return text::compare_utf16(text::to_lower(a.str()), text::to_lower(b.str()));
  }
  fail(std::string("Cannot compare type: ") + type_name(a));
}

Value from_json(const nlohmann::ordered_json& j) { return convert(j, 0); }

}  // namespace transformers::jinja
