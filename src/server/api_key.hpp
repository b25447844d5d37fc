// The API key check every protocol uses: in time that depends only on the key's length, not on where a
// guess goes wrong.
#pragma once

#include <string_view>

namespace transformers::server {

inline bool api_key_matches(std::string_view given, std::string_view key) {
  unsigned char diff = given.size() == key.size() ? 0 : 1;
  for (size_t i = 0; i < key.size(); ++i) diff |= static_cast<unsigned char>(key[i] ^ (i < given.size() ? given[i] : 0));
  return diff == 0;
}

}  // namespace transformers::server
