#include "transformers/tensor.hpp"

#include "transformers/error.hpp"

namespace transformers {

std::vector<float> Tensor::row(size_t i) const {
  if (dims.size() != 2) throw InvalidInputError("Tensor::row needs a rank-2 tensor, this one is " + dims_string());
  if (i >= static_cast<size_t>(dims[0])) {
    throw InvalidInputError("Tensor::row(" + std::to_string(i) + ") out of range for " + dims_string());
  }
  const size_t width = static_cast<size_t>(dims[1]);
  return std::vector<float>(data.begin() + i * width, data.begin() + (i + 1) * width);
}

std::string Tensor::dims_string() const {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(dims[i]);
  }
  return s + "]";
}

}  // namespace transformers
