// JSON text as JavaScript's JSON.stringify writes it: numbers in JS's Number#toString form (1 not 1.0,
// 1e-7 not 1e-07; NaN and infinities as null), strings with JSON escapes and every byte that is not
// valid UTF-8 as U+FFFD. The one writer of JSON text for users: Output::to_json() and the CLI's --json.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace transformers::core {

std::string js_json(const nlohmann::ordered_json& value);
std::string js_json(const nlohmann::json& value);
// One number as JS prints it.
void append_js_number(std::string& out, double v);

}  // namespace transformers::core
