// A read-only hash map from 64-bit keys to 32-bit values (open addressing, linear probing,
// multiplicative hashing), built once from a std::unordered_map: the Unigram trie's edge lookups,
// done for every character of every candidate piece, cost a fraction of std::unordered_map's.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

namespace transformers::tokenizers {

class FrozenMap {
 public:
  static constexpr uint32_t kAbsent = UINT32_MAX;

  void build(const std::unordered_map<uint64_t, uint32_t>& from) {
    unsigned bits = 4;
    while ((size_t(1) << bits) < from.size() * 2) ++bits;
    shift_ = 64 - bits;
    mask_ = (size_t(1) << bits) - 1;
    slots_.assign(mask_ + 1, Slot{kEmpty, 0});
    for (const auto& [k, v] : from) {
      size_t i = slot(k);
      while (slots_[i].key != kEmpty) i = (i + 1) & mask_;
      slots_[i] = {k, v};
    }
  }

  uint32_t find(uint64_t key) const {
    for (size_t i = slot(key);; i = (i + 1) & mask_) {
      if (slots_[i].key == key) return slots_[i].value;
      if (slots_[i].key == kEmpty) return kAbsent;
    }
  }

 private:
  static constexpr uint64_t kEmpty = ~uint64_t(0);  // never a key: node << 21 | code point
  struct Slot {
    uint64_t key;
    uint32_t value;
  };
  size_t slot(uint64_t key) const { return static_cast<size_t>((key * 0x9E3779B97F4A7C15ull) >> shift_); }

  std::vector<Slot> slots_{Slot{kEmpty, 0}};
  size_t mask_ = 0;
  unsigned shift_ = 63;
};

}  // namespace transformers::tokenizers
