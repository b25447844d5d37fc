// text-classification (alias sentiment-analysis), as Transformers.js' TextClassificationPipeline.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "pipelines/scores.hpp"
#include "pipelines/task_json.hpp"
#include "pipelines/text_pipeline.hpp"
#include "transformers/error.hpp"

namespace transformers {

namespace {

class TextClassification final : public Pipeline::Impl {
 public:
  TextClassification(const std::filesystem::path& model, const PipelineOptions& options)
      : Impl("text-classification", model, options) {
    require_output("logits");
    for (const auto& o : session->outputs())
      if (o.name == "logits" && o.dims.size() == 2 && o.dims[1] > 0) check_labels(static_cast<size_t>(o.dims[1]), "logits");
  }

  Output run(const PipelineInputs& inputs, bool batched_input, const CallOptions& call_options) override {
    const auto& options = std::get<TextClassificationOptions>(call_options);
    const size_t count = inputs.size();
    if (options.top_k && *options.top_k < 0) {
      throw InvalidInputError("text-classification: top_k must be >= 0 (or unset for all labels), got " +
                              std::to_string(*options.top_k));
    }
    const FunctionToApply fn = options.function_to_apply.value_or(
        config.problem_type == "multi_label_classification" ? FunctionToApply::sigmoid : FunctionToApply::softmax);

    Forward f = forward(inputs, {"logits"});
    const OutputTensor& logits = f.outputs.at(0);
    if (logits.dims.size() != 2 || logits.dims[0] != static_cast<int64_t>(count) || logits.dims[1] <= 0) {
      throw Error("text-classification: output 'logits' has shape " + Tensor{logits.dims, {}}.dims_string() +
                  ", expected [" + std::to_string(count) + ", num_labels]");
    }
    const size_t n = static_cast<size_t>(logits.dims[1]);
    check_labels(n, "logits");
    const size_t k = options.top_k ? std::min(n, static_cast<size_t>(*options.top_k)) : n;

    Output::Labels result(count);
    std::vector<float> scores;
    for (size_t b = 0; b < count; ++b) {
      const float* row = logits.data.data() + b * n;
      if (fn == FunctionToApply::softmax) pipelines::softmax(row, n, scores);
      else if (fn == FunctionToApply::sigmoid) pipelines::sigmoid(row, n, scores);
      else scores.assign(row, row + n);
      const std::vector<size_t> order = pipelines::descending_order(scores);
      for (size_t i = 0; i < k; ++i) {
        result[b].push_back({config.label(static_cast<int>(order[i])), scores[order[i]]});
      }
    }
    return with_truncation(Output(std::move(result), batched_input, options.top_k), f);
  }
};

}  // namespace

namespace pipelines {
// Transformers.js: with top_k == 1 the per-input lists are flattened; a single input with top_k != 1
// returns its own list.
JsValue transformers_js_json(const TextClassificationResult& r, bool batched_input) {
  auto label = [](const LabelScore& l) { return JsValue{{"label", l.label}, {"score", l.score}}; };
  auto list = [&](const std::vector<LabelScore>& items) {
    JsValue a = JsValue::array();
    for (const auto& l : items) a.push_back(label(l));
    return a;
  };
  const bool flatten = r.top_k && *r.top_k == 1;
  if (!batched_input && !flatten) return list(r.inputs.at(0));
  JsValue out = JsValue::array();
  for (const auto& items : r.inputs) {
    if (!flatten) out.push_back(list(items));
    else
      for (const auto& l : items) out.push_back(label(l));
  }
  return out;
}
}  // namespace pipelines

std::unique_ptr<Pipeline::Impl> make_text_classification(const std::filesystem::path& model,
                                                         const PipelineOptions& options) {
  return std::make_unique<TextClassification>(model, options);
}

}  // namespace transformers
