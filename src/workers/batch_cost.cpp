#include "workers/batch_cost.hpp"

#include <algorithm>
#include <limits>

namespace transformers::workers {

namespace {
constexpr double kDecay = 0.98;          // a batch's weight halves ~35 batches later
constexpr size_t kMinSamples = 8;
constexpr double kMaxOverheadTokens = 4096;
}  // namespace

void InferenceCostModel::record(size_t padded_tokens, double micros) {
  const double x = static_cast<double>(padded_tokens);
  std::lock_guard lock(mu_);
  w_ = w_ * kDecay + 1;
  x_ = x_ * kDecay + x;
  y_ = y_ * kDecay + micros;
  xx_ = xx_ * kDecay + x * x;
  xy_ = xy_ * kDecay + x * micros;
  ++samples_;
  if (samples_ < kMinSamples) return;
  const double mx = x_ / w_, my = y_ / w_;
  const double var = xx_ / w_ - mx * mx, cov = xy_ / w_ - mx * my;
  // Batches all of about one size say nothing about the intercept: keep what we had.
  if (!(var > 0.01 * mx * mx) || !(cov > 0)) return;
  const double per_token = cov / var;
  const double fixed = my - per_token * mx;
  estimate_ = std::clamp(fixed / per_token, 0.0, kMaxOverheadTokens);
}

double InferenceCostModel::overhead_tokens() const {
  std::lock_guard lock(mu_);
  return estimate_;
}

std::vector<size_t> cheapest_split(const std::vector<size_t>& sorted_tokens, double overhead, const BatchAllowed& allowed) {
  const size_t n = sorted_tokens.size();
  // best[end]: the cheapest cost of the first `end` inputs; padded[end] breaks ties; start[end]: where
  // the last batch of that split begins.
  std::vector<double> best(n + 1, std::numeric_limits<double>::infinity());
  std::vector<size_t> padded(n + 1, 0), start(n + 1, 0);
  best[0] = 0;
  for (size_t end = 1; end <= n; ++end) {
    const size_t longest = sorted_tokens[end - 1];
    size_t own = 0;
    for (size_t first = end; first-- > 0;) {
      own += sorted_tokens[first];
      const size_t size = end - first;
      // Ascending: a longer batch only adds shorter inputs, so once refused, every longer one is too.
      if (!allowed(size, longest, own, sorted_tokens[first] == longest)) break;
      const size_t pad = padded[first] + size * longest;
      const double cost = best[first] + overhead + static_cast<double>(size * longest);
      if (cost < best[end] || (cost == best[end] && pad < padded[end])) {
        best[end] = cost;
        padded[end] = pad;
        start[end] = first;
      }
    }
  }
  std::vector<size_t> sizes;
  for (size_t end = n; end > 0; end = start[end]) sizes.push_back(end - start[end]);
  std::reverse(sizes.begin(), sizes.end());
  return sizes;
}

}  // namespace transformers::workers
