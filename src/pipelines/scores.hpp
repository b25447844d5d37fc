// The score functions of the text pipelines, in the precision Transformers.js computes them: float32
// where it works on Float32Arrays (logits), double where on JS number arrays (QA spans, zero-shot).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <numeric>
#include <vector>

namespace transformers::pipelines {

// Transformers.js' softmax over a Float32Array: exponentials stored as float32, summed in double.
inline void softmax(const float* x, size_t n, std::vector<float>& out) {
  out.resize(n);
  float max = x[0];
  for (size_t i = 1; i < n; ++i) max = std::max(max, x[i]);
  double sum = 0.0;
  for (size_t i = 0; i < n; ++i) {
    out[i] = static_cast<float>(std::exp(static_cast<double>(x[i]) - static_cast<double>(max)));
    sum += out[i];
  }
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<float>(out[i] / sum);
}

// The same over a JS number array: everything in double (-infinity entries give 0).
inline std::vector<double> softmax(const std::vector<double>& x) {
  std::vector<double> out(x.size());
  if (x.empty()) return out;
  const double max = *std::max_element(x.begin(), x.end());
  double sum = 0.0;
  for (size_t i = 0; i < x.size(); ++i) sum += out[i] = std::exp(x[i] - max);
  for (double& v : out) v /= sum;
  return out;
}

inline void sigmoid(const float* x, size_t n, std::vector<float>& out) {
  out.resize(n);
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<float>(1.0 / (1.0 + std::exp(-static_cast<double>(x[i]))));
}

// Index of the largest value, the first of equal ones (Transformers.js' max()).
inline size_t argmax(const float* x, size_t n) {
  size_t best = 0;
  for (size_t i = 1; i < n; ++i)
    if (x[i] > x[best]) best = i;
  return best;
}

// Indices by descending score; ties keep the lower index first (ONNX TopK, which Transformers.js uses).
template <class T>
std::vector<size_t> descending_order(const std::vector<T>& scores) {
  std::vector<size_t> order(scores.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] > scores[b]; });
  return order;
}

}  // namespace transformers::pipelines
