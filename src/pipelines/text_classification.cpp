// text-classification (alias sentiment-analysis), as Transformers.js' TextClassificationPipeline.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "pipelines/text_pipeline.hpp"
#include "transformers/error.hpp"

namespace transformers {

namespace {

// Float32 arithmetic where Transformers.js works on Float32Arrays, double where it uses JS numbers,
// so that scores match it bit for bit in the common case.
void softmax(const float* x, size_t n, std::vector<float>& out) {
  out.resize(n);
  float max = x[0];
  for (size_t i = 1; i < n; ++i) max = std::max(max, x[i]);
  double sum = 0.0;
  for (size_t i = 0; i < n; ++i) {
    out[i] = static_cast<float>(std::exp(static_cast<double>(x[i]) - static_cast<double>(max)));
    sum += out[i];
  }
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<float>(out[i] / sum);
}

void sigmoid(const float* x, size_t n, std::vector<float>& out) {
  out.resize(n);
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<float>(1.0 / (1.0 + std::exp(-static_cast<double>(x[i]))));
}

class TextClassification final : public Pipeline::Impl {
 public:
  TextClassification(const std::filesystem::path& model, const PipelineOptions& options)
      : Impl("text-classification", model, options) {
    bool has_logits = false;
    for (const auto& o : session->outputs()) {
      if (o.name != "logits") continue;
      has_logits = true;
      if (o.dims.size() == 2 && o.dims[1] > 0) check_labels(static_cast<size_t>(o.dims[1]));
    }
    if (!has_logits) throw ModelLoadError("the graph " + onnx_file.string() + " has no 'logits' output");
  }

  // config.json's id2label must name exactly the graph's classes: Transformers.js would silently call
  // the missing ones LABEL_i and drop the extra ones.
  void check_labels(size_t logits) const {
    if (config.id2label.empty() || config.id2label.size() == logits) return;
    throw ModelLoadError("config.json of " + model_path.string() + " has " + std::to_string(config.id2label.size()) +
                         " labels in id2label, but the graph " + onnx_file.string() + " gives " +
                         std::to_string(logits) + " logits per input");
  }

  Output run(const std::vector<std::string>& texts, bool batched_input, const CallOptions& options) override {
    if (options.top_k && *options.top_k < 0) {
      throw InvalidInputError("text-classification: top_k must be >= 0 (or unset for all labels), got " +
                              std::to_string(*options.top_k));
    }
    const FunctionToApply fn = options.function_to_apply.value_or(
        config.problem_type == "multi_label_classification" ? FunctionToApply::sigmoid : FunctionToApply::softmax);

    Forward f = forward(texts, {"logits"});
    const OutputTensor& logits = f.outputs.at(0);
    if (logits.dims.size() != 2 || logits.dims[0] != static_cast<int64_t>(texts.size()) || logits.dims[1] <= 0) {
      throw Error("text-classification: output 'logits' has shape " + Tensor{logits.dims, {}}.dims_string() +
                  ", expected [" + std::to_string(texts.size()) + ", num_labels]");
    }
    const size_t n = static_cast<size_t>(logits.dims[1]);
    check_labels(n);
    const size_t k = options.top_k ? std::min(n, static_cast<size_t>(*options.top_k)) : n;

    Output::Labels result(texts.size());
    std::vector<float> scores;
    std::vector<size_t> order(n);
    for (size_t b = 0; b < texts.size(); ++b) {
      const float* row = logits.data.data() + b * n;
      if (fn == FunctionToApply::softmax) softmax(row, n, scores);
      else if (fn == FunctionToApply::sigmoid) sigmoid(row, n, scores);
      else scores.assign(row, row + n);
      std::iota(order.begin(), order.end(), size_t{0});
      // Highest first; ties keep the lower label index first (as ONNX TopK, which Transformers.js uses).
      std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t c) { return scores[a] > scores[c]; });
      for (size_t i = 0; i < k; ++i) {
        result[b].push_back({config.label(static_cast<int>(order[i])), scores[order[i]]});
      }
    }
    return with_truncation(Output(std::move(result), batched_input, options.top_k), f);
  }
};

}  // namespace

std::unique_ptr<Pipeline::Impl> make_text_classification(const std::filesystem::path& model,
                                                         const PipelineOptions& options) {
  return std::make_unique<TextClassification>(model, options);
}

}  // namespace transformers
