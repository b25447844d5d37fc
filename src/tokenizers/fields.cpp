#include <cmath>
#include <string>

#include "components.hpp"
#include "transformers/error.hpp"

namespace transformers::tokenizers {

const char* json_type_name(const json& j) {
  switch (j.type()) {
    case json::value_t::null: return "null";
    case json::value_t::object: return "an object";
    case json::value_t::array: return "an array";
    case json::value_t::string: return "a string";
    case json::value_t::boolean: return "a boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: return "an integer";
    case json::value_t::number_float: return "a number";
    default: return "an unsupported value";
  }
}

void JsonSource::fail(std::string_view component, std::string_view message) const {
  std::string m = label_;
  m += ": ";
  m += component;
  m += ": ";
  m += message;
  throw ModelLoadError(m);
}

Fields::Fields(const json& object, const JsonSource& source, std::string component)
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

const json* Fields::find(std::string_view key) const {
  auto it = object_.find(key);
  if (it == object_.end() || it->is_null()) return nullptr;
  return &*it;
}

const json& Fields::require(std::string_view key) const {
  const json* v = find(key);
  if (!v) fail(key, "is missing");
  return *v;
}

static std::string expected(const char* what, const json& got) {
  return std::string("must be ") + what + ", got " + json_type_name(got);
}

bool Fields::boolean(std::string_view key, bool fallback) const {
  auto v = optional_boolean(key);
  return v ? *v : fallback;
}

std::optional<bool> Fields::optional_boolean(std::string_view key) const {
  const json* v = find(key);
  if (!v) return std::nullopt;
  if (!v->is_boolean()) fail(key, expected("a boolean", *v));
  return v->get<bool>();
}

std::string Fields::string(std::string_view key) const {
  const json& v = require(key);
  if (!v.is_string()) fail(key, expected("a string", v));
  return v.get<std::string>();
}

std::string Fields::string_or(std::string_view key, std::string_view fallback) const {
  auto v = optional_string(key);
  return v ? *v : std::string(fallback);
}

std::optional<std::string> Fields::optional_string(std::string_view key) const {
  const json* v = find(key);
  if (!v) return std::nullopt;
  if (!v->is_string()) fail(key, expected("a string", *v));
  return v->get<std::string>();
}

uint64_t Fields::unsigned_or(std::string_view key, uint64_t fallback) const {
  const json* v = find(key);
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
  const json& v = require(key);
  if (!v.is_number_integer()) fail(key, expected("an integer", v));
  return v.get<int64_t>();
}

const json& Fields::object(std::string_view key) const {
  const json& v = require(key);
  if (!v.is_object()) fail(key, expected("an object", v));
  return v;
}

const json& Fields::array(std::string_view key) const {
  const json& v = require(key);
  if (!v.is_array()) fail(key, expected("an array", v));
  return v;
}

bool Vocab::set(std::string_view token, int64_t id) {
  // Ids index a dense table; refuse ids that would make it absurdly large.
  const uint64_t limit = 4 * static_cast<uint64_t>(map_.size() + by_id_.size()) + (uint64_t(1) << 20);
  if (id < 0 || static_cast<uint64_t>(id) > limit) return false;
  auto [it, inserted] = map_.try_emplace(std::string(token), id);
  if (!inserted) it->second = id;
  const auto idx = static_cast<size_t>(id);
  if (idx >= by_id_.size()) by_id_.resize(idx + 1, {std::string_view{}, false});
  by_id_[idx] = {std::string_view(it->first), true};
  if (token.size() > max_token_bytes_) max_token_bytes_ = token.size();
  return true;
}

std::string clean_up_tokenization(std::string_view text) {
  // Same replacements, in the same order, as Transformers.js (each a global replace).
  static constexpr std::pair<std::string_view, std::string_view> rules[] = {
      {" .", "."}, {" ?", "?"}, {" !", "!"}, {" ,", ","}, {" ' ", "'"}, {" n't", "n't"},
      {" 'm", "'m"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}};
  std::string cur(text);
  if (cur.find(' ') == std::string::npos) return cur;
  std::string next;
  for (const auto& [from, to] : rules) {
    size_t pos = cur.find(from);
    if (pos == std::string::npos) continue;
    next.clear();
    size_t last = 0;
    while (pos != std::string::npos) {
      next.append(cur, last, pos - last);
      next.append(to);
      last = pos + from.size();
      pos = cur.find(from, last);
    }
    next.append(cur, last, std::string::npos);
    cur.swap(next);
  }
  return cur;
}

}  // namespace transformers::tokenizers
