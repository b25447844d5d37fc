// token-classification (alias ner): options and result. `none` and `simple` are Transformers.js'
// TokenClassificationPipeline exactly; `first`, `average` and `max` (which Transformers.js refuses) follow
// Hugging Face Python's pipeline. Beyond Transformers.js: start/end character offsets.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "transformers/tasks/fields.hpp"

namespace transformers {

enum class AggregationStrategy { none, simple, first, average, max };
template <>
struct EnumNames<AggregationStrategy> {
  static constexpr std::array<std::pair<AggregationStrategy, std::string_view>, 5> values{
      {{AggregationStrategy::none, "none"},
       {AggregationStrategy::simple, "simple"},
       {AggregationStrategy::first, "first"},
       {AggregationStrategy::average, "average"},
       {AggregationStrategy::max, "max"}}};
};

struct TokenClassificationOptions {
  std::vector<std::string> ignore_labels = {"O"};  // entities (token labels, or groups) left out
  AggregationStrategy aggregation_strategy = AggregationStrategy::none;

  bool operator==(const TokenClassificationOptions&) const = default;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("ignore_labels", self.ignore_labels);
    visit("aggregation_strategy", self.aggregation_strategy);
  }
};

// One token (aggregation none: `entity` is its label, `index` its position in the encoded input) or one
// group of tokens (other strategies: `entity` is the group's tag, Transformers.js' `entity_group`;
// `index` is -1). start/end: character (Unicode code point) offsets [start, end) of the token(s) in the
// input text, as Hugging Face Python gives them.
struct TokenEntity {
  std::string entity;
  float score = 0.0f;
  int64_t index = -1;
  std::string word;
  int64_t start = 0;
  int64_t end = 0;

  bool operator==(const TokenEntity&) const = default;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("entity", self.entity);
    visit("score", self.score);
    visit("index", self.index);
    visit("word", self.word);
    visit("start", self.start);
    visit("end", self.end);
  }
};

struct TokenClassificationResult {
  std::vector<std::vector<TokenEntity>> inputs;  // one list per input, in text order
  AggregationStrategy aggregation_strategy = AggregationStrategy::none;

  bool operator==(const TokenClassificationResult&) const = default;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("inputs", self.inputs);
    visit("aggregation_strategy", self.aggregation_strategy);
  }
};

}  // namespace transformers
