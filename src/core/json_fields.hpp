// Typed access to JSON fields with errors that name the document and the field.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace transformers::core {

using Json = nlohmann::json;

// Parses text; ModelLoadError "<origin>: invalid JSON at byte N: ..." on failure.
Json parse_json(const std::string& text, const std::string& origin);

// A field of an object; nullopt when absent or null. Throws ModelLoadError
// "<origin>: field '<name>' must be <type>" when present with the wrong type.
std::optional<std::string> opt_string(const Json& obj, const char* name, const std::string& origin);
std::optional<long long> opt_int(const Json& obj, const char* name, const std::string& origin);
std::optional<double> opt_number(const Json& obj, const char* name, const std::string& origin);
std::optional<bool> opt_bool(const Json& obj, const char* name, const std::string& origin);

}  // namespace transformers::core
