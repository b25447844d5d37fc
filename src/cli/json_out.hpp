// Every --json output goes through here: valid JSON for every input. Paths and texts are bytes, not
// always UTF-8; a byte that is not part of valid UTF-8 is written as U+FFFD (docs: README "Command line").
#pragma once

#include <cstdio>
#include <nlohmann/json.hpp>

namespace transformers::cli {

inline std::string json_text(const nlohmann::ordered_json& j) {
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

inline void print_json(const nlohmann::ordered_json& j) { std::printf("%s\n", json_text(j).c_str()); }

}  // namespace transformers::cli
