#pragma once
// Figures the CLI's bench and mem commands print, defined once for all of them.
#include <algorithm>
#include <cstdint>
#include <vector>

namespace transformers::cli {

inline double mib(uint64_t bytes) { return static_cast<double>(bytes) / (1024.0 * 1024.0); }

// The p-quantile (0..1) with linear interpolation between neighbours; 0 for no samples.
inline double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const double idx = p * static_cast<double>(v.size() - 1);
  const size_t lo = static_cast<size_t>(idx), hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (idx - static_cast<double>(lo));
}

}  // namespace transformers::cli
