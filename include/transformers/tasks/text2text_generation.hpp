// text2text-generation, translation and summarization: options and results, as Transformers.js'
// Text2TextGenerationPipeline and its two subclasses (encoder-decoder models: onnx/encoder_model.onnx +
// onnx/decoder_model_merged.onnx). One result list per call, flat over inputs and returned sequences.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "transformers/tasks/fields.hpp"
#include "transformers/tasks/generation_options.hpp"

namespace transformers {

struct Text2TextGenerationOptions {
  GenerationOptions generation;

  bool operator==(const Text2TextGenerationOptions&) const = default;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    GenerationOptions::fields(self.generation, visit);
  }
};

struct SummarizationOptions {
  GenerationOptions generation;

  bool operator==(const SummarizationOptions&) const = default;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    GenerationOptions::fields(self.generation, visit);
  }
};

struct TranslationOptions {
  GenerationOptions generation;
  // Multilingual models (NLLB, M2M100): the source language's code prefixes the input, the target's is forced
  // as the first generated token, as Transformers.js' _build_translation_inputs does. An unknown code is an
  // InvalidInputError listing the tokenizer's codes.
  std::optional<std::string> src_lang;
  std::optional<std::string> tgt_lang;

  bool operator==(const TranslationOptions&) const = default;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    GenerationOptions::fields(self.generation, visit);
    visit("src_lang", self.src_lang);
    visit("tgt_lang", self.tgt_lang);
  }
};

// Per input, its num_return_sequences texts. to_json() gives Transformers.js' flat list of
// {generated_text} / {translation_text} / {summary_text}.
struct Text2TextGenerationResult {
  std::vector<std::vector<std::string>> inputs;
  bool operator==(const Text2TextGenerationResult&) const = default;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("inputs", self.inputs);
  }
};
struct TranslationResult {
  std::vector<std::vector<std::string>> inputs;
  bool operator==(const TranslationResult&) const = default;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("inputs", self.inputs);
  }
};
struct SummarizationResult {
  std::vector<std::vector<std::string>> inputs;
  bool operator==(const SummarizationResult&) const = default;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("inputs", self.inputs);
  }
};

}  // namespace transformers
