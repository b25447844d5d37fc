// A dense float32 tensor owned by the caller: what pipelines return (embeddings, logits).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace transformers {

struct Tensor {
  std::vector<int64_t> dims;
  std::vector<float> data;  // row-major

  size_t size() const { return data.size(); }
  size_t rank() const { return dims.size(); }
  // Row i of a rank-2 tensor, as a copy (for convenience; index data directly for speed).
  std::vector<float> row(size_t i) const;
  std::string dims_string() const;  // "[2, 384]"
};

}  // namespace transformers
