// Each task's result as the JSON value Transformers.js returns for the same call (its shapes: a single
// input unwrapped, top_k 1 flattened, ...). Defined in the task's own file. Internal.
#pragma once

#include <nlohmann/json.hpp>

#include "transformers/pipeline.hpp"

namespace transformers::pipelines {

using JsValue = nlohmann::ordered_json;

JsValue transformers_js_json(const TextClassificationResult& r, bool batched_input);
JsValue transformers_js_json(const FeatureExtractionResult& r, bool batched_input);
JsValue transformers_js_json(const TokenClassificationResult& r, bool batched_input);
JsValue transformers_js_json(const FillMaskResult& r, bool batched_input);
JsValue transformers_js_json(const QuestionAnsweringResult& r, bool batched_input);
JsValue transformers_js_json(const ZeroShotClassificationResult& r, bool batched_input);

}  // namespace transformers::pipelines
