// question-answering, as Transformers.js' QuestionAnsweringPipeline: the question and the context are
// tokenized as a pair (truncated to the model's length), and the best spans of the context are ranked by
// P(start) x P(end). Beyond Transformers.js: each answer's character offsets in the context, max_answer_len.
#include <algorithm>
#include <limits>

#include "pipelines/char_offsets.hpp"
#include "pipelines/scores.hpp"
#include "pipelines/task_json.hpp"
#include "pipelines/text_pipeline.hpp"
#include "transformers/error.hpp"

namespace transformers {

namespace {

class QuestionAnswering final : public Pipeline::Impl {
 public:
  QuestionAnswering(const std::filesystem::path& model, const PipelineOptions& options)
      : Impl("question-answering", model, options) {
    require_output("start_logits");
    require_output("end_logits");
    sep_id_ = tokenizer->special_token_id("sep_token");
  }

  Output run(const PipelineInputs& inputs, bool batched_input, const CallOptions& call_options) override {
    const auto& options = std::get<QuestionAnsweringOptions>(call_options);
    if (options.top_k < 1) throw InvalidInputError("question-answering: top_k must be at least 1, got " + std::to_string(options.top_k));
    if (options.max_answer_len && *options.max_answer_len < 1)
      throw InvalidInputError("question-answering: max_answer_len must be at least 1, got " + std::to_string(*options.max_answer_len));
    for (size_t i = 0; i < inputs.size(); ++i) {
      const std::string which = inputs.size() == 1 ? "" : " of input " + std::to_string(i);
      if (inputs.texts[i].empty()) throw InvalidInputError("question-answering: the question" + which + " is empty");
      if (inputs.text_pairs[i].empty()) throw InvalidInputError("question-answering: the context" + which + " is empty");
    }
    Forward f = forward(inputs, {"start_logits", "end_logits"});
    const size_t batch = inputs.size(), seq = f.encoding.seq_len;
    for (const OutputTensor& t : f.outputs) {
      if (t.dims.size() != 2 || t.dims[0] != static_cast<int64_t>(batch) || t.dims[1] != static_cast<int64_t>(seq)) {
        throw Error("question-answering: an output has shape " + Tensor{t.dims, {}}.dims_string() + ", expected [" +
                    std::to_string(batch) + ", " + std::to_string(seq) + "]");
      }
    }
    QuestionAnsweringResult result;
    result.top_k = options.top_k;
    for (size_t j = 0; j < batch; ++j)
      result.inputs.push_back(answers(f.rows[j], f.outputs[0].data.data() + j * seq, f.outputs[1].data.data() + j * seq,
                                      inputs.text_pairs[j], options));
    return with_truncation(Output(TaskResult(std::move(result)), batched_input), f);
  }

 private:
  std::vector<Answer> answers(const Encoding& enc, const float* start_logits, const float* end_logits,
                              const std::string& context, const QuestionAnsweringOptions& options) const {
    const size_t n = enc.ids.size();
    // Positions up to the first separator (the question) and special tokens cannot be in the answer;
    // position 0 (CLS) stays in the softmax (some models use it for "no answer"), then scores 0.
    size_t sep = n;
    if (sep_id_) sep = static_cast<size_t>(std::find(enc.ids.begin(), enc.ids.end(), *sep_id_) - enc.ids.begin());
    std::vector<double> start(n), end(n);
    constexpr double kMasked = -std::numeric_limits<double>::infinity();
    for (size_t i = 0; i < n; ++i) {
      const bool masked = i > 0 && ((sep < n && i <= sep) || tokenizer->is_special_id(enc.ids[i]));
      start[i] = masked ? kMasked : start_logits[i];
      end[i] = masked ? kMasked : end_logits[i];
    }
    std::vector<double> ps = pipelines::softmax(start), pe = pipelines::softmax(end);
    if (n) ps[0] = pe[0] = 0;
    struct Span {
      size_t s, e;
      double score;
    };
    std::vector<Span> spans;
    spans.reserve(n * (n + 1) / 2);
    for (size_t s = 0; s < n; ++s)
      for (size_t e = s; e < n; ++e)
        if (!options.max_answer_len || e - s + 1 <= static_cast<size_t>(*options.max_answer_len))
          spans.push_back({s, e, ps[s] * pe[e]});
    // Transformers.js sorts the (start, end) pairs by score, stably: ties stay in start-then-end order.
    const size_t k = std::min(spans.size(), static_cast<size_t>(options.top_k));
    std::partial_sort(spans.begin(), spans.begin() + static_cast<std::ptrdiff_t>(k), spans.end(),
                      [](const Span& a, const Span& b) {
                        if (a.score != b.score) return a.score > b.score;
                        return a.s != b.s ? a.s < b.s : a.e < b.e;
                      });
    const pipelines::CharOffsets chars(context);
    std::vector<Answer> out;
    for (size_t i = 0; i < k; ++i) {
      const Span& sp = spans[i];
      std::vector<int64_t> ids(enc.ids.begin() + static_cast<std::ptrdiff_t>(sp.s),
                               enc.ids.begin() + static_cast<std::ptrdiff_t>(sp.e) + 1);
      // Offsets of context tokens are into the context; a span that starts at CLS starts at 0.
      const bool in_context = sep < n && sp.s > sep;
      out.push_back({tokenizer->decode(ids, true), static_cast<float>(sp.score),
                     in_context ? chars.at(enc.offsets[sp.s].first) : 0, chars.at(enc.offsets[sp.e].second)});
    }
    return out;
  }

  std::optional<int64_t> sep_id_;
};

}  // namespace

namespace pipelines {
// Transformers.js: top_k 1 gives one {answer, score} per input (the object itself for one input); more
// gives a list per input. start/end added.
JsValue transformers_js_json(const QuestionAnsweringResult& r, bool batched_input) {
  auto answer = [](const Answer& a) {
    return JsValue{{"answer", a.answer}, {"score", a.score}, {"start", a.start}, {"end", a.end}};
  };
  JsValue out = JsValue::array();
  for (const auto& items : r.inputs) {
    if (r.top_k == 1) {
      for (const auto& a : items) out.push_back(answer(a));
    } else {
      JsValue list = JsValue::array();
      for (const auto& a : items) list.push_back(answer(a));
      out.push_back(std::move(list));
    }
  }
  if (!batched_input) return out.empty() ? JsValue() : out.at(0);
  return out;
}
}  // namespace pipelines

std::unique_ptr<Pipeline::Impl> make_question_answering(const std::filesystem::path& model,
                                                        const PipelineOptions& options) {
  return std::make_unique<QuestionAnswering>(model, options);
}

}  // namespace transformers
