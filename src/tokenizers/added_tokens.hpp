// Added tokens (tokenizer.json "added_tokens") and the longest-match splitter that cuts them out
// of text, as Transformers.js's DictionarySplitter does.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "components.hpp"

namespace transformers::tokenizers {

struct AddedToken {
  std::string content;
  int64_t id = 0;
  bool single_word = false;  // parsed; Transformers.js does not act on it
  bool lstrip = false;
  bool rstrip = false;
  bool special = false;
  bool normalized = true;
};

// A piece of text: either plain text, or an exact occurrence of an added token.
struct Segment {
  Range range;
  const AddedToken* token = nullptr;
  std::string_view key;  // the matched string (storage owned by the tokenizer)
};

class AddedTokenSplitter {
 public:
  // Each word maps to the token it stands for; `key_utf8` is its UTF-8 form, kept alive by the caller.
  void add(std::u32string_view word, const AddedToken* token, std::string_view key_utf8);
  bool empty() const { return nodes_.size() <= 1; }
  // Splits text[r] at every leftmost-longest match, appending segments (empty text is not emitted).
  void split(const std::u32string& text, Range r, std::vector<Segment>& out) const;

 private:
  struct Node {
    const AddedToken* token = nullptr;
    std::string_view key;
  };
  static uint64_t key(uint32_t node, char32_t c) { return (uint64_t(node) << 21) | uint64_t(c); }
  const Node* child(uint32_t node, char32_t c, uint32_t& index) const {
    auto it = edges_.find(key(node, c));
    if (it == edges_.end()) return nullptr;
    index = it->second;
    return &nodes_[it->second];
  }

  std::vector<Node> nodes_{Node{}};
  std::unordered_map<uint64_t, uint32_t> edges_;
  uint64_t ascii_first_[2] = {0, 0};  // quick reject for ASCII first characters
};

}  // namespace transformers::tokenizers
