// zero-shot-classification, as Transformers.js' ZeroShotClassificationPipeline: an NLI model scores
// each (premise = the input, hypothesis = the template with a candidate label) pair.
#include <algorithm>
#include <cctype>

#include "pipelines/scores.hpp"
#include "pipelines/task_json.hpp"
#include "pipelines/text_pipeline.hpp"
#include "transformers/error.hpp"

namespace transformers {

namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

class ZeroShotPipeline final : public Pipeline::Impl {
 public:
  ZeroShotPipeline(const std::filesystem::path& model, const PipelineOptions& options)
      : Impl("zero-shot-classification", model, options) {
    require_output("logits");
    // Transformers.js reads label2id with lowercased names: entailment (else id 2), contradiction or
    // not_entailment (else id 0).
    std::optional<int> entailment, contradiction, not_entailment;
    for (const auto& [id, label] : config.id2label) {
      const std::string l = lower(label);
      if (l == "entailment") entailment = id;
      if (l == "contradiction") contradiction = id;
      if (l == "not_entailment") not_entailment = id;
    }
    entailment_ = entailment.value_or(2);
    contradiction_ = contradiction ? *contradiction : not_entailment.value_or(0);
    for (const auto& o : session->outputs()) {
      if (o.name != "logits" || o.dims.size() != 2 || o.dims[1] <= 0) continue;
      if (std::max(entailment_, contradiction_) >= o.dims[1]) {
        throw ModelLoadError("zero-shot-classification: " + model_path.string() + " gives " + std::to_string(o.dims[1]) +
                             " classes, but its entailment/contradiction ids are " + std::to_string(entailment_) + "/" +
                             std::to_string(contradiction_) + " (config.json id2label)");
      }
    }
  }

  Output run(const PipelineInputs& inputs, bool batched_input, const CallOptions& call_options) override {
    const auto& options = std::get<ZeroShotClassificationOptions>(call_options);
    if (options.candidate_labels.empty())
      throw InvalidInputError("zero-shot-classification: no candidate labels (candidate_labels, CLI --candidate-labels)");
    const size_t slot = options.hypothesis_template.find("{}");
    if (slot == std::string::npos) {
      throw InvalidInputError("zero-shot-classification: the hypothesis template '" + options.hypothesis_template +
                              "' has no {} for the label");
    }
    const size_t labels = options.candidate_labels.size();
    PipelineInputs pairs;
    for (const auto& premise : inputs.texts) {
      for (const auto& label : options.candidate_labels) {
        std::string hypothesis = options.hypothesis_template;
        hypothesis.replace(slot, 2, label);
        pairs.texts.push_back(premise);
        pairs.text_pairs.push_back(std::move(hypothesis));
      }
    }
    Forward f = forward(pairs, {"logits"});
    const OutputTensor& logits = f.outputs.at(0);
    if (logits.dims.size() != 2 || logits.dims[0] != static_cast<int64_t>(pairs.size()) ||
        logits.dims[1] <= std::max(entailment_, contradiction_)) {
      throw Error("zero-shot-classification: output 'logits' has shape " + Tensor{logits.dims, {}}.dims_string() +
                  ", expected [" + std::to_string(pairs.size()) + ", num_labels]");
    }
    const size_t classes = static_cast<size_t>(logits.dims[1]);
    // One label: entailment against contradiction, as with multi_label.
    const bool each = options.multi_label || labels == 1;
    ZeroShotClassificationResult result;
    std::vector<size_t> truncated;
    for (size_t i = 0; i < inputs.size(); ++i) {
      std::vector<double> scores(labels);
      std::vector<double> entails(labels);
      for (size_t l = 0; l < labels; ++l) {
        const float* row = logits.data.data() + (i * labels + l) * classes;
        if (each) scores[l] = pipelines::softmax(std::vector<double>{row[contradiction_], row[entailment_]})[1];
        else entails[l] = row[entailment_];
      }
      if (!each) scores = pipelines::softmax(entails);
      ZeroShotClassification item;
      item.sequence = inputs.texts[i];
      for (size_t k : pipelines::descending_order(scores)) {
        item.labels.push_back(options.candidate_labels[k]);
        item.scores.push_back(static_cast<float>(scores[k]));
      }
      result.inputs.push_back(std::move(item));
      for (size_t l = 0; l < labels; ++l)
        if (std::find(f.encoding.truncated.begin(), f.encoding.truncated.end(), i * labels + l) != f.encoding.truncated.end()) {
          truncated.push_back(i);
          break;
        }
    }
    Output out(TaskResult(std::move(result)), batched_input);
    out.set_truncated_inputs(std::move(truncated));
    return out;
  }

 private:
  int entailment_ = 2;
  int contradiction_ = 0;
};

}  // namespace

namespace pipelines {
JsValue transformers_js_json(const ZeroShotClassificationResult& r, bool batched_input) {
  return per_input(r.inputs, batched_input, [](const ZeroShotClassification& item) {
    JsValue scores = JsValue::array();
    for (float s : item.scores) scores.push_back(s);
    return JsValue{{"sequence", item.sequence}, {"labels", item.labels}, {"scores", std::move(scores)}};
  });
}
}  // namespace pipelines

std::unique_ptr<Pipeline::Impl> make_zero_shot_classification(const std::filesystem::path& model,
                                                              const PipelineOptions& options) {
  return std::make_unique<ZeroShotPipeline>(model, options);
}

}  // namespace transformers
