#include <string>

#include "components.hpp"
#include "transformers/error.hpp"

namespace transformers::tokenizers {

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
