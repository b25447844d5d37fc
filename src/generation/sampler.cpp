#include "generation/sampler.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace transformers::generation {

PyRandom::PyRandom(uint64_t seed) {
  std::vector<uint32_t> key;
  for (uint64_t v = seed; v > 0; v >>= 32) key.push_back(static_cast<uint32_t>(v));
  if (key.empty()) key.push_back(0);
  auto& mt = mt_;
  mt[0] = 19650218u;
  for (uint32_t k = 1; k < 624; ++k) mt[k] = 1812433253u * (mt[k - 1] ^ (mt[k - 1] >> 30)) + k;
  size_t i = 1, j = 0;
  for (size_t k = std::max<size_t>(624, key.size()); k > 0; --k) {
    mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >> 30)) * 1664525u)) + key[j] + static_cast<uint32_t>(j);
    ++i;
    ++j;
    if (i >= 624) {
      mt[0] = mt[623];
      i = 1;
    }
    if (j >= key.size()) j = 0;
  }
  for (size_t k = 623; k > 0; --k) {
    mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >> 30)) * 1566083941u)) - static_cast<uint32_t>(i);
    ++i;
    if (i >= 624) {
      mt[0] = mt[623];
      i = 1;
    }
  }
  mt[0] = 0x80000000u;
  index_ = 624;
}

uint32_t PyRandom::next_u32() {
  if (index_ >= 624) {
    for (size_t k = 0; k < 624; ++k) {
      const uint32_t y = (mt_[k] & 0x80000000u) | (mt_[(k + 1) % 624] & 0x7fffffffu);
      mt_[k] = mt_[(k + 397) % 624] ^ (y >> 1) ^ ((y & 1u) ? 0x9908b0dfu : 0u);
    }
    index_ = 0;
  }
  uint32_t y = mt_[index_++];
  y ^= y >> 11;
  y ^= (y << 7) & 0x9d2c5680u;
  y ^= (y << 15) & 0xefc60000u;
  y ^= y >> 18;
  return y;
}

double PyRandom::random() {
  const uint32_t a = next_u32() >> 5, b = next_u32() >> 6;
  return (a * 67108864.0 + b) / 9007199254740992.0;
}

int64_t argmax(std::span<const float> logits) {
  size_t best = 0;
  for (size_t i = 1; i < logits.size(); ++i)
    if (logits[i] > logits[best]) best = i;
  return static_cast<int64_t>(best);
}

TopK top_k_softmax(std::span<const float> logits, size_t top_k) {
  const size_t k = top_k == 0 ? logits.size() : std::min(top_k, logits.size());
  std::vector<int64_t> order(logits.size());
  std::iota(order.begin(), order.end(), int64_t{0});
  const auto better = [&](int64_t a, int64_t b) {
    return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
  };
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k), order.end(), better);
  TopK t;
  t.ids.assign(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k));
  t.logits.resize(k);
  for (size_t i = 0; i < k; ++i) t.logits[i] = logits[static_cast<size_t>(t.ids[i])];
  // Transformers.js' softmax over a Float32Array: exponentials stored as float32, summed in double.
  float max = t.logits.empty() ? 0.0f : t.logits[0];
  for (float x : t.logits) max = std::max(max, x);
  t.probs.resize(k);
  double sum = 0.0;
  for (size_t i = 0; i < k; ++i) {
    t.probs[i] = static_cast<float>(std::exp(static_cast<double>(t.logits[i]) - static_cast<double>(max)));
    sum += t.probs[i];
  }
  for (float& p : t.probs) p = static_cast<float>(p / sum);
  return t;
}

size_t weighted_index(std::span<const float> probs, PyRandom& rng) {
  double sum = 0.0;
  for (float p : probs) sum += p;
  double x = rng.random() * sum;
  for (size_t i = 0; i < probs.size(); ++i) {
    x -= probs[i];
    if (x < 0) return i;
  }
  return probs.empty() ? 0 : probs.size() - 1;
}

}  // namespace transformers::generation
