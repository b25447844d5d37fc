// fill-mask: options and result, as Transformers.js' FillMaskPipeline (the first mask token of each
// input is filled; a text without one is an error).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "transformers/tasks/fields.hpp"

namespace transformers {

struct FillMaskOptions {
  int top_k = 5;

  bool operator==(const FillMaskOptions&) const = default;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("top_k", self.top_k);
  }
};

struct FillMaskCandidate {
  float score = 0.0f;
  int64_t token = 0;      // its id
  std::string token_str;  // the token decoded
  std::string sequence;   // the input with the mask replaced, decoded without special tokens

  bool operator==(const FillMaskCandidate&) const = default;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("score", self.score);
    visit("token", self.token);
    visit("token_str", self.token_str);
    visit("sequence", self.sequence);
  }
};

struct FillMaskResult {
  std::vector<std::vector<FillMaskCandidate>> inputs;  // best first, per input

  bool operator==(const FillMaskResult&) const = default;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("inputs", self.inputs);
  }
};

}  // namespace transformers
