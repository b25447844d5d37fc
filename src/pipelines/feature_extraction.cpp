// feature-extraction (alias embeddings), as Transformers.js' FeatureExtractionPipeline.
#include <cmath>

#include "pipelines/batch_rows.hpp"
#include "pipelines/task_json.hpp"
#include "pipelines/text_pipeline.hpp"
#include "transformers/error.hpp"

namespace transformers {

namespace {

// Transformers.js takes the first of these the graph returns. `sentence_embedding` (already pooled,
// [batch, hidden], as sentence-transformers exports and the converted USE lite have) is our extension:
// Transformers.js has no answer for such a graph.
const char* const kOutputNames[] = {"last_hidden_state", "logits", "token_embeddings", "sentence_embedding"};

class FeatureExtraction final : public Pipeline::Impl {
 public:
  FeatureExtraction(const std::filesystem::path& model, const PipelineOptions& options)
      : Impl("feature-extraction", model, options) {
    for (const char* want : kOutputNames) {
      for (const auto& o : session->outputs()) {
        if (o.name == want && output_name_.empty()) output_name_ = want;
      }
    }
    if (output_name_.empty()) {
      throw ModelLoadError("the graph " + onnx_file.string() +
                           " has none of the outputs last_hidden_state, logits, token_embeddings, sentence_embedding");
    }
  }

  Output run(const PipelineInputs& inputs, bool, const CallOptions& call_options) override {
    const auto& options = std::get<FeatureExtractionOptions>(call_options);
    const size_t count = inputs.size();
    Forward f = forward(inputs, {output_name_});
    OutputTensor& hidden = f.outputs.at(0);
    if (output_name_ == "sentence_embedding") return with_truncation(Output(pooled(std::move(hidden), count, options)), f);
    if (hidden.dims.size() != 3 || hidden.dims[0] != static_cast<int64_t>(count)) {
      throw Error("feature-extraction: output '" + output_name_ + "' has shape " +
                  Tensor{hidden.dims, {}}.dims_string() + ", expected [batch, sequence, hidden]");
    }
    const size_t batch = hidden.dims[0], seq = hidden.dims[1], dim = hidden.dims[2];
    Tensor result;
    switch (options.pooling) {
      case Pooling::none:
        result.dims = hidden.dims;
        result.data = std::move(hidden.data);
        break;
      case Pooling::mean: {
        result.dims = {static_cast<int64_t>(batch), static_cast<int64_t>(dim)};
        result.data.resize(batch * dim);
        const std::vector<int64_t>& mask = f.encoding.attention_mask;
        for (size_t b = 0; b < batch; ++b) {
          double count = 0;
          for (size_t s = 0; s < seq; ++s) count += static_cast<double>(mask[b * seq + s]);
          for (size_t k = 0; k < dim; ++k) {
            double sum = 0;
            for (size_t s = 0; s < seq; ++s) {
              sum += static_cast<double>(hidden.data[(b * seq + s) * dim + k]) * static_cast<double>(mask[b * seq + s]);
            }
            result.data[b * dim + k] = static_cast<float>(sum / count);
          }
        }
        break;
      }
      case Pooling::cls:
      case Pooling::last_token: {
        // Transformers.js slices position 0 or the last position (padding included, as it does).
        const size_t pos = options.pooling == Pooling::cls ? 0 : seq - 1;
        result.dims = {static_cast<int64_t>(batch), static_cast<int64_t>(dim)};
        result.data.resize(batch * dim);
        for (size_t b = 0; b < batch; ++b) {
          const float* src = hidden.data.data() + (b * seq + pos) * dim;
          std::copy(src, src + dim, result.data.data() + b * dim);
        }
        break;
      }
    }
    if (options.normalize) normalize_rows(result);
    return with_truncation(Output(std::move(result)), f);
  }

 private:
  // An output that is already one vector per input: pooling does not apply, normalize does.
  Tensor pooled(OutputTensor&& out, size_t batch, const FeatureExtractionOptions& options) const {
    if (out.dims.size() != 2 || out.dims[0] != static_cast<int64_t>(batch)) {
      throw Error("feature-extraction: output 'sentence_embedding' has shape " + Tensor{out.dims, {}}.dims_string() +
                  ", expected [batch, hidden]");
    }
    Tensor result{out.dims, std::move(out.data)};
    if (options.normalize) normalize_rows(result);
    return result;
  }

  static void normalize_rows(Tensor& result) {
    const size_t width = static_cast<size_t>(result.dims.back());
    for (size_t off = 0; off < result.data.size(); off += width) pipelines::normalize_row(result.data.data() + off, width);
  }

  std::string output_name_;
};

}  // namespace

namespace pipelines {
// A Tensor as the golden files and the CLI print it: {"dims": [...], "data": [flat floats]}.
JsValue transformers_js_json(const FeatureExtractionResult& r, bool) {
  JsValue data = JsValue::array();
  for (float v : r.tensor.data) data.push_back(v);
  return JsValue{{"dims", r.tensor.dims}, {"data", std::move(data)}};
}
}  // namespace pipelines

std::unique_ptr<Pipeline::Impl> make_feature_extraction(const std::filesystem::path& model,
                                                        const PipelineOptions& options) {
  return std::make_unique<FeatureExtraction>(model, options);
}

}  // namespace transformers
