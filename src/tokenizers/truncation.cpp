// Padding and truncation: Transformers.js' end truncation and padding (PreTrainedTokenizer._call),
// and Python tokenizers' strategies (longest_first, only_first, only_second) with stride and
// overflowing parts, which Transformers.js does not implement.
#include <algorithm>

#include "tokenizer_impl.hpp"
#include "transformers/error.hpp"

namespace transformers {

using namespace tokenizers;

// PreTrainedTokenizer._call's padding/truncation over a batch.
void Tokenizer::Impl::pad_and_truncate(std::vector<Encoding>& batch, const EncodeOptions& o, bool need_rectangle) const {
  size_t max_len = o.max_length ? *o.max_length : model_max_length;
  const Padding padding = (need_rectangle && o.padding == Padding::none) ? Padding::longest : o.padding;
  if (padding == Padding::longest) {
    size_t longest = 0;
    for (const auto& e : batch) longest = std::max(longest, e.ids.size());
    max_len = std::min(longest, max_len);
  }
  max_len = std::min(max_len, model_max_length);
  // Python strategies truncated before post-processing (encode_one); only padding is left.
  const bool cut_end = o.truncation && o.truncation_strategy == TruncationStrategy::end;
  auto fit = [&](Encoding& e) {
      const size_t len = e.ids.size();
      if (len == max_len) return;
      if (len > max_len) {
        if (cut_end) {
          e.truncated = true;
          e.ids.resize(max_len);
          e.tokens.resize(max_len);
          e.attention_mask.resize(max_len);
          e.token_type_ids.resize(max_len);
          e.offsets.resize(max_len);
        }
      } else if (padding != Padding::none) {
        if (max_len == kNoLimit)
          throw InvalidInputError("padding to max_length needs a max_length: set EncodeOptions::max_length "
                                  "(the tokenizer has no model_max_length)");
        if (pad_id < 0)
          throw InvalidInputError("cannot pad: the tokenizer has no pad_token (tokenizer_config.json pad_token / "
                                  "eos_token)");
        pad(e, max_len - len);
      }
  };
  if (padding != Padding::none || cut_end) {
    for (auto& e : batch) {
      fit(e);
      for (auto& over : e.overflowing) fit(over);
    }
  }
  if (need_rectangle) {
    for (const auto& e : batch)
      if (e.ids.size() != batch.front().ids.size())
        throw InvalidInputError(
            "cannot make a rectangular batch: sequences have different lengths after padding; enable truncation "
            "(a sequence is longer than max_length " +
            std::to_string(max_len) + ")");
  }
}

void Tokenizer::Impl::pad(Encoding& e, size_t n) const {
  auto grow = [&](auto& v, const auto& value) {
    if (pad_left)
      v.insert(v.begin(), n, value);
    else
      v.insert(v.end(), n, value);
  };
  grow(e.ids, pad_id);
  grow(e.tokens, pad_token);
  grow(e.attention_mask, int64_t{0});
  grow(e.token_type_ids, int64_t{0});
  grow(e.offsets, std::pair<size_t, size_t>{0, 0});
}

namespace {

// A sequence cut into its kept part and its overflowing windows (Python tokenizers' Encoding::truncate).
struct Parts {
  std::vector<Piece> main;
  std::vector<std::vector<Piece>> overflow;
};

Parts split_windows(const std::vector<Piece>& seq, size_t max_len, size_t stride, bool left) {
  Parts p;
  const size_t n = seq.size();
  if (max_len >= n) {
    p.main = seq;
    return p;
  }
  if (max_len == 0) {  // everything overflows
    p.overflow.push_back(seq);
    return p;
  }
  if (stride >= max_len)
    throw InvalidInputError("truncation: stride (" + std::to_string(stride) + ") must be less than the length kept (" +
                            std::to_string(max_len) + ", max_length less the special tokens)");
  const size_t step = max_len - stride;
  std::vector<std::pair<size_t, size_t>> ranges;
  if (!left) {
    for (size_t start = 0; start < n; start += step) {
      const size_t stop = std::min(start + max_len, n);
      ranges.emplace_back(start, stop);
      if (stop == n) break;
    }
  } else {  // windows from the end: the kept part is the tail
    for (size_t stop = n;; stop -= step) {
      const size_t start = stop < max_len ? 0 : stop - max_len;
      ranges.emplace_back(start, stop);
      if (start == 0 || stop <= step) break;
    }
  }
  auto slice = [&](std::pair<size_t, size_t> r) {
    return std::vector<Piece>(seq.begin() + static_cast<std::ptrdiff_t>(r.first),
                              seq.begin() + static_cast<std::ptrdiff_t>(r.second));
  };
  p.main = slice(ranges.front());
  for (size_t i = 1; i < ranges.size(); ++i) p.overflow.push_back(slice(ranges[i]));
  return p;
}

}  // namespace

Encoding Tokenizer::Impl::truncate_and_assemble(const std::vector<Piece>& a, const std::vector<Piece>* b,
                                                const EncodeOptions& o) const {
  size_t max_length = o.max_length ? *o.max_length : model_max_length;
  const bool left = o.truncation_side ? *o.truncation_side == TruncationSide::left : truncate_left;
  // Special tokens the post-processor adds are not truncated: the budget is what is left for the texts.
  if (o.add_special_tokens) {
    const std::vector<Piece> none;
    const size_t added = assemble(none, b ? &none : nullptr, true).ids.size();
    if (added > 0) {
      if (max_length < added)
        throw InvalidInputError("truncation: max_length " + std::to_string(max_length) + " is shorter than the " +
                                std::to_string(added) + " special tokens the post-processor adds");
      max_length -= added;
    }
  }
  const size_t stride = o.stride;
  Parts pa, pb;
  const size_t na = a.size(), nb = b ? b->size() : 0;
  auto keep_all = [](const std::vector<Piece>& s) { return Parts{s, {}}; };
  if (max_length == 0) {
    pa = split_windows(a, 0, stride, left);
    if (b) pb = split_windows(*b, 0, stride, left);
  } else if (na + nb <= max_length) {
    pa = keep_all(a);
    if (b) pb = keep_all(*b);
  } else if (o.truncation_strategy == TruncationStrategy::longest_first) {
    if (!b) {
      pa = split_windows(a, max_length, stride, left);
    } else {
      // The shorter text keeps what it can up to half; the longer one gets the rest.
      size_t n1 = na, n2 = nb;
      const bool swap = n1 > n2;
      if (swap) std::swap(n1, n2);
      n2 = n1 > max_length ? n1 : std::max(n1, max_length - n1);
      if (n1 + n2 > max_length) {
        n1 = max_length / 2;
        n2 = n1 + max_length % 2;
      }
      if (swap) std::swap(n1, n2);
      pa = split_windows(a, n1, stride, left);
      pb = split_windows(*b, n2, stride, left);
    }
  } else {
    const bool first = o.truncation_strategy == TruncationStrategy::only_first;
    if (!first && !b) throw InvalidInputError("truncation only_second needs a text pair");
    const size_t to_remove = na + nb - max_length;
    const std::vector<Piece>& target = first ? a : *b;
    if (target.size() <= to_remove)
      throw InvalidInputError(std::string("truncation ") + (first ? "only_first" : "only_second") +
                              ": the sequence to truncate is too short to respect max_length");
    (first ? pa : pb) = split_windows(target, target.size() - to_remove, stride, left);
    if (first && b) pb = keep_all(*b);
    if (!first) pa = keep_all(a);
  }
  // Overflowing parts, in the order Python tokenizers' Encoding::merge_with lists them.
  Encoding e = assemble(pa.main, b ? &pb.main : nullptr, o.add_special_tokens);
  for (const auto& ao : pa.overflow) {
    e.overflowing.push_back(assemble(ao, b ? &pb.main : nullptr, o.add_special_tokens));
    for (const auto& bo : pb.overflow) e.overflowing.push_back(assemble(ao, &bo, o.add_special_tokens));
  }
  for (const auto& bo : pb.overflow) e.overflowing.push_back(assemble(pa.main, &bo, o.add_special_tokens));
  return e;
}

}  // namespace transformers
