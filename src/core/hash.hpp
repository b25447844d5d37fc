// Non-cryptographic hashing for cache keys (file names), defined once.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace transformers::core {

// 64-bit FNV-1a; pass a previous result as `h` to chain.
inline uint64_t fnv1a(std::string_view s, uint64_t h = 1469598103934665603ull) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

// `digits` lowercase hex digits of v (the low ones).
inline std::string hex(uint64_t v, int digits) {
  static const char* d = "0123456789abcdef";
  std::string s(static_cast<size_t>(digits), '0');
  for (int i = digits - 1; i >= 0; --i, v >>= 4) s[static_cast<size_t>(i)] = d[v & 15];
  return s;
}

}  // namespace transformers::core
