// zero-shot-classification: options and result, as Transformers.js' ZeroShotClassificationPipeline
// (an NLI model scores "premise => hypothesis" for each candidate label).
#pragma once

#include <string>
#include <vector>

#include "transformers/tasks/fields.hpp"

namespace transformers {

struct ZeroShotClassificationOptions {
  std::vector<std::string> candidate_labels;  // required, at least one
  std::string hypothesis_template = "This example is {}.";  // must contain {}
  bool multi_label = false;

  bool operator==(const ZeroShotClassificationOptions&) const = default;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("candidate_labels", self.candidate_labels);
    visit("hypothesis_template", self.hypothesis_template);
    visit("multi_label", self.multi_label);
  }
};

struct ZeroShotClassification {
  std::string sequence;             // the input text
  std::vector<std::string> labels;  // best first
  std::vector<float> scores;

  bool operator==(const ZeroShotClassification&) const = default;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("sequence", self.sequence);
    visit("labels", self.labels);
    visit("scores", self.scores);
  }
};

struct ZeroShotClassificationResult {
  std::vector<ZeroShotClassification> inputs;

  bool operator==(const ZeroShotClassificationResult&) const = default;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("inputs", self.inputs);
  }
};

}  // namespace transformers
