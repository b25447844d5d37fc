// Choosing the next token from processed logits, as Transformers.js 4.3.1 does: greedy argmax (ties to the
// lowest id), or multinomial sampling over the top-k with its float32 softmax and linear-scan draw, driven
// by a Python-compatible MT19937 (random.seed / random.random) so that a seed reproduces its samples.
// Internal.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace transformers::generation {

// Python's random.Random: MT19937 seeded by init_by_array over the seed's 32-bit words.
class PyRandom {
 public:
  explicit PyRandom(uint64_t seed);
  uint32_t next_u32();
  double random();  // [0, 1), 53 bits from two draws

 private:
  std::array<uint32_t, 624> mt_{};
  size_t index_ = 624;
};

// The first index of the largest value (all -inf: 0).
int64_t argmax(std::span<const float> logits);

// What the sampler draws from: the top_k (0 = all) logits, best first (ties: lower id first), and their
// float32 softmax.
struct TopK {
  std::vector<int64_t> ids;
  std::vector<float> logits;
  std::vector<float> probs;
};
TopK top_k_softmax(std::span<const float> logits, size_t top_k);
// Transformers.js' _weightedIndex: x = random() * sum(p); the first index where x -= p goes below 0.
size_t weighted_index(std::span<const float> probs, PyRandom& rng);

}  // namespace transformers::generation
