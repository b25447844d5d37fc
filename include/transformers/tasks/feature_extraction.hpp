// feature-extraction (alias embeddings): options and result, as Transformers.js' FeatureExtractionPipeline.
#pragma once

#include "transformers/tasks/fields.hpp"
#include "transformers/tensor.hpp"

namespace transformers {

enum class Pooling { none, mean, cls, first_token = cls, last_token, eos = last_token };
template <>
struct EnumNames<Pooling> {
  static constexpr std::array<std::pair<Pooling, std::string_view>, 6> values{
      {{Pooling::none, "none"},
       {Pooling::mean, "mean"},
       {Pooling::cls, "cls"},
       {Pooling::last_token, "last_token"},
       {Pooling::cls, "first_token"},
       {Pooling::last_token, "eos"}}};
};

struct FeatureExtractionOptions {
  Pooling pooling = Pooling::none;
  bool normalize = false;

  bool operator==(const FeatureExtractionOptions&) const = default;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("pooling", self.pooling);
    visit("normalize", self.normalize);
  }
};

struct FeatureExtractionResult {
  // [inputs, hidden] pooled; [inputs, longest input's tokens, hidden] with pooling none.
  Tensor tensor;

  bool operator==(const FeatureExtractionResult& o) const { return tensor.dims == o.tensor.dims && tensor.data == o.tensor.data; }
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("tensor", self.tensor);
  }
};

}  // namespace transformers
