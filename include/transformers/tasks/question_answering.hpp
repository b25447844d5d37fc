// question-answering: options and result, as Transformers.js' QuestionAnsweringPipeline. An input is a
// TextPair {question, context}. Beyond Transformers.js: start/end offsets of the answer in the context,
// max_answer_len, and doc_stride windows over contexts longer than the model takes (Hugging Face Python's
// way: each window is the question and a stretch of the context, overlapping by doc_stride tokens).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "transformers/tasks/fields.hpp"

namespace transformers {

struct QuestionAnsweringOptions {
  int top_k = 1;  // 1: one answer object per input; more: a list per input (Transformers.js' shapes)
  // Longest answer in tokens; unset = no limit (Transformers.js has none).
  std::optional<int> max_answer_len;
  // Unset (Transformers.js): a long question + context is cut at the end to the model's length, and an
  // answer past the cut cannot be found. Set: the context is read in windows of max_seq_len tokens
  // (question and special tokens included) overlapping by doc_stride tokens, and the best answers of all
  // windows are ranked together (the same span found in two windows counts once).
  std::optional<int> doc_stride;
  // Tokens per window (or per input without doc_stride); unset = the model's maximum.
  std::optional<int> max_seq_len;

  bool operator==(const QuestionAnsweringOptions&) const = default;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("top_k", self.top_k);
    visit("max_answer_len", self.max_answer_len);
    visit("doc_stride", self.doc_stride);
    visit("max_seq_len", self.max_seq_len);
  }
};

struct Answer {
  std::string answer;  // the answer's tokens decoded (Transformers.js' `answer`)
  float score = 0.0f;
  int64_t start = 0;   // character (code point) offsets [start, end) of the answer in the context
  int64_t end = 0;

  bool operator==(const Answer&) const = default;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("answer", self.answer);
    visit("score", self.score);
    visit("start", self.start);
    visit("end", self.end);
  }
};

struct QuestionAnsweringResult {
  std::vector<std::vector<Answer>> inputs;  // best first, per input
  int top_k = 1;

  bool operator==(const QuestionAnsweringResult&) const = default;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("inputs", self.inputs);
    visit("top_k", self.top_k);
  }
};

}  // namespace transformers
