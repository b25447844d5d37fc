// The independent reference for the cheapest split: every split of sorted lengths into contiguous batches
// (2^(n-1) of them) tried, each batch costing `overhead` + its size x its longest.
#pragma once

#include <algorithm>
#include <cstddef>
#include <functional>
#include <limits>
#include <vector>

namespace split_search {

// The cost of `sizes` (consecutive batch sizes) over `sorted` (ascending lengths).
inline double cost_of(const std::vector<size_t>& sorted, const std::vector<size_t>& sizes, double overhead) {
  double cost = 0;
  size_t next = 0;
  for (size_t size : sizes) {
    next += size;
    cost += overhead + static_cast<double>(size * sorted[next - 1]);
  }
  return cost;
}

// The least cost over every contiguous split whose batches `allowed(size, longest, own, equal)` accepts.
inline double cheapest_cost(const std::vector<size_t>& sorted, double overhead,
                            const std::function<bool(size_t, size_t, size_t, bool)>& allowed) {
  const size_t n = sorted.size();
  double best = std::numeric_limits<double>::infinity();
  for (size_t cuts = 0; cuts < (size_t{1} << (n - 1)); ++cuts) {
    std::vector<size_t> sizes;
    size_t first = 0;
    bool ok = true;
    for (size_t i = 0; i < n && ok; ++i) {
      if (i == n - 1 || (cuts >> i & 1)) {
        size_t own = 0;
        for (size_t k = first; k <= i; ++k) own += sorted[k];
        ok = allowed(i - first + 1, sorted[i], own, sorted[first] == sorted[i]);
        sizes.push_back(i - first + 1);
        first = i + 1;
      }
    }
    if (ok) best = std::min(best, cost_of(sorted, sizes, overhead));
  }
  return best;
}

}  // namespace split_search
