#include "added_tokens.hpp"

namespace transformers::tokenizers {

void AddedTokenSplitter::add(std::u32string_view word, const AddedToken* token, std::string_view key_utf8) {
  if (word.empty()) return;  // an empty word never matches (as in Transformers.js)
  uint32_t node = 0;
  for (char32_t c : word) {
    auto [it, inserted] = edges_.try_emplace(key(node, c), static_cast<uint32_t>(nodes_.size()));
    if (inserted) nodes_.push_back(Node{});
    node = it->second;
  }
  nodes_[node].token = token;
  nodes_[node].key = key_utf8;
  const char32_t first = word.front();
  if (first < 128) ascii_first_[first >> 6] |= uint64_t(1) << (first & 63);
}

void AddedTokenSplitter::split(const std::u32string& text, Range r, std::vector<Segment>& out) const {
  size_t start = r.begin;
  size_t i = r.begin;
  while (i < r.end) {
    const char32_t c0 = text[i];
    if (c0 < 128 && !(ascii_first_[c0 >> 6] & (uint64_t(1) << (c0 & 63)))) {
      ++i;
      continue;
    }
    uint32_t node = 0;
    const Node* match = nullptr;
    size_t match_end = i;
    for (size_t j = i; j < r.end; ++j) {
      uint32_t next;
      const Node* n = child(node, text[j], next);
      if (!n) break;
      node = next;
      if (n->token) {
        match = n;
        match_end = j + 1;
      }
    }
    if (!match) {
      ++i;
      continue;
    }
    if (i > start) out.push_back({{start, i}, nullptr, {}});
    out.push_back({{i, match_end}, match->token, match->key});
    i = match_end;
    start = i;
  }
  if (start < r.end) out.push_back({{start, r.end}, nullptr, {}});
}

}  // namespace transformers::tokenizers
