#include "core/json_fields.hpp"

#include <cmath>

#include "transformers/error.hpp"

namespace transformers::core {

const char* json_type_name(const Json& j) {
  switch (j.type()) {
    case Json::value_t::null: return "null";
    case Json::value_t::object: return "an object";
    case Json::value_t::array: return "an array";
    case Json::value_t::string: return "a string";
    case Json::value_t::boolean: return "a boolean";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned: return "an integer";
    case Json::value_t::number_float: return "a number";
    default: return "an unsupported value";
  }
}

void JsonSource::fail(std::string_view component, std::string_view message) const {
  std::string m = label_;
  m += ": ";
  if (!component.empty()) {
    m += component;
    m += ": ";
  }
  m += message;
  throw ModelLoadError(m);
}

Json parse_json(std::string_view text, const JsonSource& source) {
  Json j;
  try {
    j = Json::parse(text.begin(), text.end());
  } catch (const Json::exception& e) {  // parse_error, and out_of_range for a number like 1e400
    source.fail("", std::string("is not valid JSON (") + e.what() + ")");
  }
  if (!j.is_object()) source.fail("", std::string("must hold a JSON object, got ") + json_type_name(j));
  return j;
}

Fields::Fields(const Json& object, const JsonSource& source, std::string component)
    : object_(object), source_(source), component_(std::move(component)) {
  if (!object_.is_object()) source_.fail(component_, std::string("must be an object, got ") + json_type_name(object_));
}

void Fields::fail(std::string_view field, std::string_view problem) const {
  std::string m = "field \"";
  m += field;
  m += "\" ";
  m += problem;
  source_.fail(component_, m);
}

const Json* Fields::find(std::string_view key) const {
  auto it = object_.find(key);
  if (it == object_.end() || it->is_null()) return nullptr;
  return &*it;
}

const Json& Fields::require(std::string_view key) const {
  const Json* v = find(key);
  if (!v) fail(key, "is missing");
  return *v;
}

static std::string expected(const char* what, const Json& got) {
  return std::string("must be ") + what + ", got " + json_type_name(got);
}

bool Fields::boolean(std::string_view key, bool fallback) const {
  auto v = optional_boolean(key);
  return v ? *v : fallback;
}

std::optional<bool> Fields::optional_boolean(std::string_view key) const {
  const Json* v = find(key);
  if (!v) return std::nullopt;
  if (!v->is_boolean()) fail(key, expected("a boolean", *v));
  return v->get<bool>();
}

std::string Fields::string(std::string_view key) const {
  const Json& v = require(key);
  if (!v.is_string()) fail(key, expected("a string", v));
  return v.get<std::string>();
}

std::string Fields::string_or(std::string_view key, std::string_view fallback) const {
  auto v = optional_string(key);
  return v ? *v : std::string(fallback);
}

std::optional<std::string> Fields::optional_string(std::string_view key) const {
  const Json* v = find(key);
  if (!v) return std::nullopt;
  if (!v->is_string()) fail(key, expected("a string", *v));
  return v->get<std::string>();
}

std::optional<int64_t> Fields::optional_integer(std::string_view key) const {
  const Json* v = find(key);
  if (!v) return std::nullopt;
  if (!v->is_number_integer() && !v->is_number_unsigned()) fail(key, expected("an integer", *v));
  return v->get<int64_t>();
}

uint64_t Fields::unsigned_or(std::string_view key, uint64_t fallback) const {
  const Json* v = find(key);
  if (!v) return fallback;
  if (v->is_number_unsigned()) return v->get<uint64_t>();
  if (v->is_number_integer() && v->get<int64_t>() >= 0) return static_cast<uint64_t>(v->get<int64_t>());
  if (v->is_number_float()) {
    const double d = v->get<double>();
    if (d >= 0 && std::floor(d) == d) return d >= 1.8e19 ? UINT64_MAX : static_cast<uint64_t>(d);
  }
  fail(key, expected("a non-negative integer", *v));
}

int64_t Fields::integer(std::string_view key) const {
  const Json& v = require(key);
  if (!v.is_number_integer()) fail(key, expected("an integer", v));
  return v.get<int64_t>();
}

const Json& Fields::object(std::string_view key) const {
  const Json& v = require(key);
  if (!v.is_object()) fail(key, expected("an object", v));
  return v;
}

const Json& Fields::array(std::string_view key) const {
  const Json& v = require(key);
  if (!v.is_array()) fail(key, expected("an array", v));
  return v;
}

}  // namespace transformers::core
