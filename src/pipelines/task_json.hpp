// Each task's result as the JSON value Transformers.js returns for the same call (its shapes: a single
// input unwrapped, top_k 1 flattened, ...). Defined in the task's own file. Internal.
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "transformers/pipeline.hpp"

namespace transformers::pipelines {

using JsValue = nlohmann::ordered_json;

// Transformers.js' usual shape: one input's own value for an unbatched call, else a list of them.
template <class Entry, class ToJs>
JsValue per_input(const std::vector<Entry>& inputs, bool batched_input, ToJs&& to_js) {
  if (!batched_input) return to_js(inputs.at(0));
  JsValue out = JsValue::array();
  for (const auto& entry : inputs) out.push_back(to_js(entry));
  return out;
}

JsValue transformers_js_json(const TextClassificationResult& r, bool batched_input);
JsValue transformers_js_json(const FeatureExtractionResult& r, bool batched_input);
JsValue transformers_js_json(const TokenClassificationResult& r, bool batched_input);
JsValue transformers_js_json(const FillMaskResult& r, bool batched_input);
JsValue transformers_js_json(const QuestionAnsweringResult& r, bool batched_input);
JsValue transformers_js_json(const ZeroShotClassificationResult& r, bool batched_input);
JsValue transformers_js_json(const TextGenerationResult& r, bool batched_input);
JsValue transformers_js_json(const Text2TextGenerationResult& r, bool batched_input);
JsValue transformers_js_json(const TranslationResult& r, bool batched_input);
JsValue transformers_js_json(const SummarizationResult& r, bool batched_input);

}  // namespace transformers::pipelines
