// Typed access to JSON documents with errors that name the file, the component and the field — the one
// helper for every JSON file the library reads (config.json, tokenizer.json, tokenizer_config.json, ...).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace transformers::core {

using Json = nlohmann::json;

const char* json_type_name(const Json& j);  // "an object", "a string", ...

// Names the file a document came from, for error messages.
class JsonSource {
 public:
  explicit JsonSource(std::string file_label) : label_(std::move(file_label)) {}
  const std::string& label() const { return label_; }
  // Throws ModelLoadError "<label>: <component>: <message>" ("<label>: <message>" for no component).
  [[noreturn]] void fail(std::string_view component, std::string_view message) const;

 private:
  std::string label_;
};

// Parses a document that must be a JSON object; ModelLoadError naming the source when it is not.
Json parse_json(std::string_view text, const JsonSource& source);

// Typed access to the fields of one JSON object; errors name the file, the component and the field.
class Fields {
 public:
  Fields(const Json& object, const JsonSource& source, std::string component);

  // nullptr when the field is absent or null.
  const Json* find(std::string_view key) const;
  const Json& require(std::string_view key) const;
  bool boolean(std::string_view key, bool fallback) const;
  std::optional<bool> optional_boolean(std::string_view key) const;
  std::string string(std::string_view key) const;
  std::string string_or(std::string_view key, std::string_view fallback) const;
  std::optional<std::string> optional_string(std::string_view key) const;
  std::optional<int64_t> optional_integer(std::string_view key) const;
  uint64_t unsigned_or(std::string_view key, uint64_t fallback) const;
  int64_t integer(std::string_view key) const;
  const Json& object(std::string_view key) const;
  const Json& array(std::string_view key) const;

  [[noreturn]] void fail(std::string_view field, std::string_view problem) const;
  const std::string& component() const { return component_; }
  const JsonSource& source() const { return source_; }
  const Json& raw() const { return object_; }

 private:
  const Json& object_;
  const JsonSource& source_;
  std::string component_;
};

}  // namespace transformers::core
