// text-classification (alias sentiment-analysis): options and result, as Transformers.js'
// TextClassificationPipeline. Inputs are texts, or {text, text_pair} pairs (cross-encoders, rerankers).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "transformers/tasks/fields.hpp"

namespace transformers {

enum class FunctionToApply { softmax, sigmoid, none };
template <>
struct EnumNames<FunctionToApply> {
  static constexpr std::array<std::pair<FunctionToApply, std::string_view>, 3> values{
      {{FunctionToApply::softmax, "softmax"}, {FunctionToApply::sigmoid, "sigmoid"}, {FunctionToApply::none, "none"}}};
};

struct TextClassificationOptions {
  // How many labels per input; nullopt = all labels. 1 flattens the result as Transformers.js does.
  std::optional<int> top_k = 1;
  // Default from config.json problem_type (sigmoid for multi_label_classification, else softmax).
  std::optional<FunctionToApply> function_to_apply;

  bool operator==(const TextClassificationOptions&) const = default;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("top_k", self.top_k);
    visit("function_to_apply", self.function_to_apply);
  }
};

struct LabelScore {
  std::string label;
  float score = 0.0f;

  bool operator==(const LabelScore&) const = default;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("label", self.label);
    visit("score", self.score);
  }
};

struct TextClassificationResult {
  std::vector<std::vector<LabelScore>> inputs;  // one list per input, best first
  std::optional<int> top_k = 1;                 // what was asked: Transformers.js' output shape depends on it

  bool operator==(const TextClassificationResult&) const = default;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("inputs", self.inputs);
    visit("top_k", self.top_k);
  }
};

}  // namespace transformers
