// fill-mask, as Transformers.js' FillMaskPipeline: the first mask token of each input is filled with the
// top_k most likely tokens.
#include <algorithm>

#include "pipelines/scores.hpp"
#include "pipelines/task_json.hpp"
#include "pipelines/text_pipeline.hpp"
#include "transformers/error.hpp"

namespace transformers {

namespace {

class FillMask final : public Pipeline::Impl {
 public:
  FillMask(const std::filesystem::path& model, const PipelineOptions& options) : Impl("fill-mask", model, options) {
    require_output("logits");
    mask_token_ = tokenizer->special_token("mask_token").value_or("");
    if (mask_token_.empty()) {
      throw ModelLoadError("tokenizer_config.json of " + model_path.string() +
                           " names no mask_token: fill-mask needs one");
    }
    const auto id = tokenizer->token_to_id(mask_token_);
    if (!id) throw ModelLoadError("the mask token '" + mask_token_ + "' of " + model_path.string() + " is not in its vocabulary");
    mask_id_ = *id;
  }

  Output run(const PipelineInputs& inputs, bool batched_input, const CallOptions& call_options) override {
    const auto& options = std::get<FillMaskOptions>(call_options);
    if (options.top_k < 1) throw InvalidInputError("fill-mask: top_k must be at least 1, got " + std::to_string(options.top_k));
    Forward f = forward(inputs, {"logits"});
    for (size_t i = 0; i < inputs.size(); ++i) {  // Transformers.js' message, naming the input
      const auto& ids = f.rows[i].ids;
      if (std::find(ids.begin(), ids.end(), mask_id_) == ids.end()) {
        throw InvalidInputError("fill-mask: mask token (" + mask_token_ + ") not found in " +
                                (inputs.size() == 1 ? std::string("the text") : "input " + std::to_string(i)) +
                                (f.rows[i].truncated ? " (after truncation to the model's length)" : ""));
      }
    }
    const OutputTensor& logits = f.outputs.at(0);
    const size_t batch = inputs.size(), seq = f.encoding.seq_len;
    if (logits.dims.size() != 3 || logits.dims[0] != static_cast<int64_t>(batch) ||
        logits.dims[1] != static_cast<int64_t>(seq) || logits.dims[2] <= 0) {
      throw Error("fill-mask: output 'logits' has shape " + Tensor{logits.dims, {}}.dims_string() + ", expected [" +
                  std::to_string(batch) + ", " + std::to_string(seq) + ", vocab_size]");
    }
    const size_t vocab = static_cast<size_t>(logits.dims[2]);
    FillMaskResult result;
    std::vector<float> scores;
    for (size_t i = 0; i < batch; ++i) {
      std::vector<int64_t> ids(f.encoding.input_ids.begin() + i * seq, f.encoding.input_ids.begin() + (i + 1) * seq);
      const size_t at = static_cast<size_t>(std::find(ids.begin(), ids.end(), mask_id_) - ids.begin());
      pipelines::softmax(logits.data.data() + (i * seq + at) * vocab, vocab, scores);
      const std::vector<size_t> order = pipelines::descending_order(scores);
      std::vector<FillMaskCandidate> candidates;
      for (size_t k = 0; k < std::min(vocab, static_cast<size_t>(options.top_k)); ++k) {
        const auto token = static_cast<int64_t>(order[k]);
        ids[at] = token;
        candidates.push_back({scores[order[k]], token, tokenizer->decode({token}, false), tokenizer->decode(ids, true)});
      }
      result.inputs.push_back(std::move(candidates));
    }
    return with_truncation(Output(TaskResult(std::move(result)), batched_input), f);
  }

 private:
  std::string mask_token_;
  int64_t mask_id_ = -1;
};

}  // namespace

namespace pipelines {
JsValue transformers_js_json(const FillMaskResult& r, bool batched_input) {
  auto list = [](const std::vector<FillMaskCandidate>& items) {
    JsValue a = JsValue::array();
    for (const auto& c : items)
      a.push_back(JsValue{{"score", c.score}, {"token", c.token}, {"token_str", c.token_str}, {"sequence", c.sequence}});
    return a;
  };
  return per_input(r.inputs, batched_input, list);
}
}  // namespace pipelines

std::unique_ptr<Pipeline::Impl> make_fill_mask(const std::filesystem::path& model, const PipelineOptions& options) {
  return std::make_unique<FillMask>(model, options);
}

}  // namespace transformers
