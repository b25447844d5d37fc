// The cost model behind DynamicBatcher's cheapest split (docs/batching.md): one inference costs a fixed
// overhead plus its padded tokens (batch size x longest input), both in tokens of run time.
#pragma once

#include <cstddef>
#include <functional>
#include <mutex>
#include <vector>

namespace transformers::workers {

// Learns the overhead from the batches' run times: a least-squares line, time = fixed + per_token x
// padded tokens, over recent batches (older ones weigh less), overhead = fixed / per_token.
class InferenceCostModel {
 public:
  explicit InferenceCostModel(double prior_overhead_tokens) : estimate_(prior_overhead_tokens) {}
  // One inference over `padded_tokens` that took `micros`. Thread-safe.
  void record(size_t padded_tokens, double micros);
  // The current estimate: the prior until the batches seen spread enough to fit a line.
  double overhead_tokens() const;

 private:
  mutable std::mutex mu_;
  double w_ = 0, x_ = 0, y_ = 0, xx_ = 0, xy_ = 0;  // decayed sums of weights, x, y, x^2, xy
  size_t samples_ = 0;
  double estimate_;
};

// Whether `size` inputs of `own` tokens in all, the longest `longest`, may share one inference (`equal`:
// all of one length). Must accept every single input (size 1): an input always runs, if alone.
using BatchAllowed = std::function<bool(size_t size, size_t longest, size_t own, bool equal)>;

// The cheapest split of `sorted_tokens` (ascending) into contiguous batches that `allowed` accepts, each
// costing `overhead` + its size x its longest; returns each batch's size, in order. Ties go to fewer
// padded tokens.
std::vector<size_t> cheapest_split(const std::vector<size_t>& sorted_tokens, double overhead, const BatchAllowed& allowed);

}  // namespace transformers::workers
