// The one codec of every task option and result type, derived from each type's `fields` list
// (transformers/tasks/fields.hpp): JSON values for the CLI and the server, the same values as MessagePack
// for the worker protocol (tensor data as raw bytes). Internal.
#pragma once

#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "transformers/error.hpp"
#include "transformers/tasks/fields.hpp"
#include "transformers/pipeline.hpp"
#include "transformers/tensor.hpp"

namespace transformers::codec {

using Json = nlohmann::json;

template <class T, class = void>
struct has_fields : std::false_type {};
template <class T>
struct has_fields<T, std::void_t<decltype(T::fields(std::declval<T&>(), [](const char*, auto&) {}))>> : std::true_type {};

template <class T, class = void>
struct has_enum_names : std::false_type {};
template <class T>
struct has_enum_names<T, std::void_t<decltype(EnumNames<T>::values)>> : std::true_type {};

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};
// A Setting<T> (std::optional<std::optional<T>>): absent = leave it to the model, null = cleared.
template <class T>
struct is_setting : std::false_type {};
template <class T>
struct is_setting<std::optional<std::optional<T>>> : std::true_type {};
template <class T>
struct is_vector : std::false_type {};
template <class T>
struct is_vector<std::vector<T>> : std::true_type {};

// "one of none|simple|first"
template <class E>
std::string enum_choices() {
  std::string s;
  for (const auto& [v, name] : EnumNames<E>::values) {
    s += s.empty() ? "" : "|";
    s += name;
  }
  return s;
}

template <class E>
std::string_view enum_name(E value) {
  for (const auto& [v, name] : EnumNames<E>::values)
    if (v == value) return name;
  return "?";
}

[[noreturn]] inline void fail(const std::string& where, const std::string& problem) {
  throw InvalidInputError(where + ": " + problem);
}

// A value in an error message (bytes that are not UTF-8 shown as U+FFFD, never a second exception).
inline std::string shown(const Json& j) {
  std::string s = j.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (s.size() > 80) s = s.substr(0, 77) + "...";
  return s;
}

// What a field's JSON value must be, for help texts and errors.
template <class T>
std::string kind_of() {
  if constexpr (is_setting<T>::value) return kind_of<typename T::value_type::value_type>() + " or null";
  else if constexpr (is_optional<T>::value) return kind_of<typename T::value_type>() + " or null";
  else if constexpr (std::is_same_v<T, TokenIdList>) return "integer or list of integers";
  else if constexpr (std::is_same_v<T, EarlyStopping>) return "boolean or never";
  else if constexpr (std::is_same_v<T, bool>) return "boolean";
  else if constexpr (std::is_enum_v<T>) return "one of " + enum_choices<T>();
  else if constexpr (std::is_integral_v<T>) return "integer";
  else if constexpr (std::is_floating_point_v<T>) return "number";
  else if constexpr (std::is_same_v<T, std::string>) return "string";
  else if constexpr (is_vector<T>::value) return "list of " + kind_of<typename T::value_type>() + "s";
  else if constexpr (std::is_same_v<T, Tensor>) return "tensor";
  else return "object";
}

template <class T>
Json encode(const T& value) {
  if constexpr (std::is_same_v<T, TokenIdList>) {
    return value.ids;
  } else if constexpr (std::is_same_v<T, EarlyStopping>) {
    return value == EarlyStopping::never ? Json("never") : Json(value == EarlyStopping::yes);
  } else if constexpr (is_optional<T>::value) {
    return value ? encode(*value) : Json(nullptr);
  } else if constexpr (std::is_enum_v<T>) {
    return std::string(enum_name(value));
  } else if constexpr (std::is_same_v<T, bool> || std::is_integral_v<T> || std::is_same_v<T, std::string>) {
    return value;
  } else if constexpr (std::is_floating_point_v<T>) {
    return static_cast<double>(value);
  } else if constexpr (is_vector<T>::value) {
    Json a = Json::array();
    for (const auto& v : value) a.push_back(encode(v));
    return a;
  } else if constexpr (std::is_same_v<T, Tensor>) {
    std::vector<std::uint8_t> bytes(value.data.size() * sizeof(float));
    if (!bytes.empty()) std::memcpy(bytes.data(), value.data.data(), bytes.size());
    return Json{{"dims", value.dims}, {"data", Json::binary(std::move(bytes))}};
  } else {
    static_assert(has_fields<T>::value, "a codec type lists its fields");
    Json o = Json::object();
    T::fields(value, [&](const char* name, const auto& member) {
      // A Setting left to the model is absent, not null (null clears it).
      if constexpr (is_setting<std::remove_cvref_t<decltype(member)>>::value) {
        if (!member) return;
        o[name] = *member ? encode(**member) : Json(nullptr);
      } else {
        o[name] = encode(member);
      }
    });
    return o;
  }
}

template <class T>
void decode(const Json& j, T& out, const std::string& where) {
  if constexpr (is_setting<T>::value) {
    if (j.is_null()) {
      out.emplace(std::nullopt);  // given as null: cleared
    } else {
      typename T::value_type::value_type v{};
      decode(j, v, where);
      out.emplace(std::move(v));
    }
  } else if constexpr (std::is_same_v<T, EarlyStopping>) {
    if (j.is_boolean()) out = j.get<bool>() ? EarlyStopping::yes : EarlyStopping::no;
    else if (j == "never") out = EarlyStopping::never;
    else fail(where, "expected true, false or \"never\", got " + shown(j));
  } else if constexpr (std::is_same_v<T, TokenIdList>) {
    if (j.is_number_integer()) {
      out.ids = {0};
      decode(j, out.ids[0], where);
    } else {
      decode(j, out.ids, where);
    }
  } else if constexpr (is_optional<T>::value) {
    if (j.is_null()) {
      out.reset();
    } else {
      typename T::value_type v{};
      decode(j, v, where);
      out = std::move(v);
    }
  } else if constexpr (std::is_same_v<T, bool>) {
    if (!j.is_boolean()) fail(where, "expected a boolean, got " + shown(j));
    out = j.get<bool>();
  } else if constexpr (std::is_enum_v<T>) {
    if (j.is_string()) {
      const std::string s = j.get<std::string>();
      for (const auto& [v, name] : EnumNames<T>::values) {
        if (s == name) {
          out = v;
          return;
        }
      }
    }
    fail(where, "expected one of " + enum_choices<T>() + ", got " + shown(j));
  } else if constexpr (std::is_integral_v<T>) {
    if (!j.is_number_integer()) fail(where, "expected an integer, got " + shown(j));
    if constexpr (std::is_signed_v<T>) {
      const int64_t v = j.get<int64_t>();
      if (j.is_number_unsigned() && j.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<T>::max()))
        fail(where, "integer " + shown(j) + " out of range");
      if (v < std::numeric_limits<T>::min() || v > std::numeric_limits<T>::max()) fail(where, "integer " + shown(j) + " out of range");
      out = static_cast<T>(v);
    } else {
      if (j.is_number_unsigned() || j.get<int64_t>() >= 0) {
        const uint64_t v = j.get<uint64_t>();
        if (v > std::numeric_limits<T>::max()) fail(where, "integer " + shown(j) + " out of range");
        out = static_cast<T>(v);
      } else {
        fail(where, "expected a non-negative integer, got " + shown(j));
      }
    }
  } else if constexpr (std::is_floating_point_v<T>) {
    if (!j.is_number()) fail(where, "expected a number, got " + shown(j));
    out = static_cast<T>(j.get<double>());
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (!j.is_string()) fail(where, "expected a string, got " + shown(j));
    out = j.get<std::string>();
  } else if constexpr (is_vector<T>::value) {
    if (!j.is_array()) fail(where, "expected a list, got " + shown(j));
    out.clear();
    out.reserve(j.size());
    for (size_t i = 0; i < j.size(); ++i) {
      typename T::value_type v{};
      decode(j[i], v, where + "[" + std::to_string(i) + "]");
      out.push_back(std::move(v));
    }
  } else if constexpr (std::is_same_v<T, Tensor>) {
    if (!j.is_object() || !j.contains("dims") || !j.contains("data") || !j["data"].is_binary())
      fail(where, "expected a tensor {dims, data}");
    decode(j["dims"], out.dims, where + ".dims");
    const auto& bytes = j["data"].get_binary();
    if (bytes.size() % sizeof(float)) fail(where, "tensor data of " + std::to_string(bytes.size()) + " bytes");
    size_t n = 1;
    for (int64_t d : out.dims) {
      if (d < 0) fail(where, "negative dimension");
      n *= static_cast<size_t>(d);
    }
    if (n * sizeof(float) != bytes.size()) fail(where, "tensor of shape " + out.dims_string() + " with " + std::to_string(bytes.size()) + " data bytes");
    out.data.resize(n);
    if (n) std::memcpy(out.data.data(), bytes.data(), bytes.size());
  } else {
    if (!j.is_object()) fail(where, "expected an object, got " + shown(j));
    size_t known = 0;
    T::fields(out, [&](const char* name, auto& member) {
      auto it = j.find(name);
      if (it == j.end()) return;
      ++known;
      decode(*it, member, where + "." + name);
    });
    if (known != j.size()) {  // an unknown field is a mistake, not something to drop silently
      std::string names;
      T::fields(out, [&](const char* name, auto&) { names += (names.empty() ? "" : ", ") + std::string(name); });
      for (auto it = j.begin(); it != j.end(); ++it) {
        bool ok = false;
        T::fields(out, [&](const char* name, auto&) { ok = ok || it.key() == name; });
        if (!ok) fail(where, "unknown field '" + it.key() + "' (known: " + names + ")");
      }
    }
  }
}

// Name and kind of each field of T, in order.
template <class T>
std::vector<std::pair<std::string, std::string>> field_kinds() {
  std::vector<std::pair<std::string, std::string>> out;
  T probe{};
  T::fields(probe, [&](const char* name, auto& member) {
    out.emplace_back(name, kind_of<std::remove_cvref_t<decltype(member)>>());
  });
  return out;
}

// Any task's options or result with its kind, for the worker protocol: {"kind": <alternative>,
// "value": <fields>} (options: kind 0 = std::monostate, value null), an Output with its shape fields.
// decode_* throw InvalidInputError naming the field that does not fit.
Json encode_call_options(const CallOptions& options);
CallOptions decode_call_options(const Json& j);
Json encode_output(const Output& output);
Output decode_output(const Json& j);

}  // namespace transformers::codec
