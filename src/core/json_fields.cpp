#include "core/json_fields.hpp"

#include "transformers/error.hpp"

namespace transformers::core {

Json parse_json(const std::string& text, const std::string& origin) {
  try {
    return Json::parse(text);
  } catch (const Json::parse_error& e) {
    throw ModelLoadError(origin + ": invalid JSON at byte " + std::to_string(e.byte) + ": " + e.what());
  }
}

namespace {
[[noreturn]] void wrong_type(const char* name, const char* type, const std::string& origin, const Json& v) {
  throw ModelLoadError(origin + ": field '" + name + "' must be " + type + ", found " + v.type_name());
}
const Json* field(const Json& obj, const char* name) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}
}  // namespace

std::optional<std::string> opt_string(const Json& obj, const char* name, const std::string& origin) {
  const Json* v = field(obj, name);
  if (!v) return std::nullopt;
  if (!v->is_string()) wrong_type(name, "a string", origin, *v);
  return v->get<std::string>();
}

std::optional<long long> opt_int(const Json& obj, const char* name, const std::string& origin) {
  const Json* v = field(obj, name);
  if (!v) return std::nullopt;
  if (!v->is_number_integer() && !v->is_number_unsigned()) wrong_type(name, "an integer", origin, *v);
  return v->get<long long>();
}

std::optional<double> opt_number(const Json& obj, const char* name, const std::string& origin) {
  const Json* v = field(obj, name);
  if (!v) return std::nullopt;
  if (!v->is_number()) wrong_type(name, "a number", origin, *v);
  return v->get<double>();
}

std::optional<bool> opt_bool(const Json& obj, const char* name, const std::string& origin) {
  const Json* v = field(obj, name);
  if (!v) return std::nullopt;
  if (!v->is_boolean()) wrong_type(name, "a boolean", origin, *v);
  return v->get<bool>();
}

}  // namespace transformers::core
