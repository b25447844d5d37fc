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
    // What the post-processor adds to a pair ([CLS] [SEP] [SEP] for BERT), counted once: doc_stride's room.
    EncodeOptions bare;
    bare.add_special_tokens = false;
    EncodeOptions with_special;
    const size_t pair = tokenizer->encode_pair("a", "b", with_special).ids.size();
    const size_t texts = tokenizer->encode("a", bare).ids.size() + tokenizer->encode("b", bare).ids.size();
    pair_special_tokens_ = pair > texts ? pair - texts : 0;
  }

  Output run(const PipelineInputs& inputs, bool batched_input, const CallOptions& call_options) override {
    const auto& options = std::get<QuestionAnsweringOptions>(call_options);
    check(options);
    for (size_t i = 0; i < inputs.size(); ++i) {
      const std::string which = inputs.size() == 1 ? "" : " of input " + std::to_string(i);
      if (inputs.texts[i].empty()) throw InvalidInputError("question-answering: the question" + which + " is empty");
      if (inputs.text_pairs[i].empty()) throw InvalidInputError("question-answering: the context" + which + " is empty");
    }
    // The rows the model sees: one per input (Transformers.js), or every window of every input.
    const size_t seq_limit = options.max_seq_len ? static_cast<size_t>(*options.max_seq_len) : max_tokens;
    std::vector<Encoding> rows;
    std::vector<size_t> input_of;  // row -> input
    for (size_t i = 0; i < inputs.size(); ++i) {
      for (Encoding& w : windows(inputs.texts[i], inputs.text_pairs[i], options, seq_limit)) {
        rows.push_back(std::move(w));
        input_of.push_back(i);
      }
    }
    Forward f = forward(std::move(rows), {"start_logits", "end_logits"});
    const size_t n_rows = f.rows.size(), seq = f.encoding.seq_len;
    for (const OutputTensor& t : f.outputs) {
      if (t.dims.size() != 2 || t.dims[0] != static_cast<int64_t>(n_rows) || t.dims[1] != static_cast<int64_t>(seq)) {
        throw Error("question-answering: an output has shape " + Tensor{t.dims, {}}.dims_string() + ", expected [" +
                    std::to_string(n_rows) + ", " + std::to_string(seq) + "]");
      }
    }
    // Per window its best candidates; then, per input, all its windows' candidates ranked together.
    // A window can lose at most top_k of its candidates to spans already kept from another window, so
    // 2 x top_k per window is enough for the exact ranking.
    const size_t per_window = static_cast<size_t>(options.top_k) * (options.doc_stride ? 2 : 1);
    std::vector<std::vector<Candidate>> by_input(inputs.size());
    for (size_t r = 0; r < n_rows; ++r) {
      for (Candidate& c : candidates(f.rows[r], f.outputs[0].data.data() + r * seq, f.outputs[1].data.data() + r * seq,
                                     inputs.text_pairs[input_of[r]], options, per_window)) {
        c.window = r;
        by_input[input_of[r]].push_back(std::move(c));
      }
    }
    QuestionAnsweringResult result;
    result.top_k = options.top_k;
    std::vector<size_t> truncated;
    for (size_t i = 0; i < inputs.size(); ++i) {
      auto& all = by_input[i];
      std::stable_sort(all.begin(), all.end(), [](const Candidate& a, const Candidate& b) { return a.score > b.score; });
      std::vector<Answer> answers;
      for (const Candidate& c : all) {
        if (answers.size() == static_cast<size_t>(options.top_k)) break;
        const bool seen = std::any_of(answers.begin(), answers.end(),
                                      [&](const Answer& a) { return a.start == c.answer.start && a.end == c.answer.end; });
        if (!seen || !options.doc_stride) answers.push_back(c.answer);
      }
      result.inputs.push_back(std::move(answers));
    }
    // Without windows a cut input is reported as usual; with them the whole context was read.
    for (size_t r : f.encoding.truncated)
      if (!options.doc_stride && (truncated.empty() || truncated.back() != input_of[r])) truncated.push_back(input_of[r]);
    Output out(TaskResult(std::move(result)), batched_input);
    out.set_truncated_inputs(std::move(truncated));
    return out;
  }

 private:
  struct Candidate {
    Answer answer;
    double score;
    size_t window = 0;
  };

  void check(const QuestionAnsweringOptions& o) const {
    if (o.top_k < 1) throw InvalidInputError("question-answering: top_k must be at least 1, got " + std::to_string(o.top_k));
    if (o.max_answer_len && *o.max_answer_len < 1)
      throw InvalidInputError("question-answering: max_answer_len must be at least 1, got " + std::to_string(*o.max_answer_len));
    if (o.max_seq_len && (*o.max_seq_len < 4 || static_cast<size_t>(*o.max_seq_len) > max_tokens)) {
      throw InvalidInputError("question-answering: max_seq_len must be 4.." + std::to_string(max_tokens) +
                              " (the model's limit), got " + std::to_string(*o.max_seq_len));
    }
    if (o.doc_stride && *o.doc_stride < 0)
      throw InvalidInputError("question-answering: doc_stride must not be negative, got " + std::to_string(*o.doc_stride));
  }

  // Transformers.js: the pair cut at the end to the limit. With doc_stride: Python tokenizers'
  // only_second truncation with that stride, the first window and every overflowing one.
  std::vector<Encoding> windows(const std::string& question, const std::string& context,
                                const QuestionAnsweringOptions& options, size_t limit) const {
    EncodeOptions o = encode_options();
    o.padding = Padding::none;
    o.max_length = limit;
    if (!options.doc_stride) return {tokenizer->encode_pair(question, context, o)};
    EncodeOptions bare = o;
    bare.truncation = false;
    bare.add_special_tokens = false;
    const size_t question_tokens = tokenizer->encode(question, bare).ids.size();
    const size_t special = pair_special_tokens_;
    const size_t stride = static_cast<size_t>(*options.doc_stride);
    if (question_tokens + special + stride >= limit) {
      throw InvalidInputError("question-answering: the question takes " + std::to_string(question_tokens) +
                              " tokens; with doc_stride " + std::to_string(stride) + " and " + std::to_string(special) +
                              " special tokens no context fits in a window of " + std::to_string(limit) +
                              " (raise max_seq_len or lower doc_stride)");
    }
    o.truncation_strategy = TruncationStrategy::only_second;
    o.stride = stride;
    Encoding first = tokenizer->encode_pair(question, context, o);
    std::vector<Encoding> out;
    std::vector<Encoding> more = std::move(first.overflowing);
    first.overflowing.clear();
    out.push_back(std::move(first));
    for (Encoding& e : more) {
      e.overflowing.clear();
      out.push_back(std::move(e));
    }
    return out;
  }

  // Transformers.js' ranking within one row: positions up to the first separator (the question) and
  // special tokens cannot be in the answer; position 0 (CLS) stays in the softmax (some models use it for
  // "no answer"), then scores 0; every start <= end scores P(start) x P(end), in double.
  std::vector<Candidate> candidates(const Encoding& enc, const float* start_logits, const float* end_logits,
                                    const std::string& context, const QuestionAnsweringOptions& options,
                                    size_t limit) const {
    const size_t n = enc.ids.size();
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
    const size_t k = std::min(spans.size(), limit);
    std::partial_sort(spans.begin(), spans.begin() + static_cast<std::ptrdiff_t>(k), spans.end(),
                      [](const Span& a, const Span& b) {
                        if (a.score != b.score) return a.score > b.score;
                        return a.s != b.s ? a.s < b.s : a.e < b.e;
                      });
    const pipelines::CharOffsets chars(context);
    std::vector<Candidate> out;
    for (size_t i = 0; i < k; ++i) {
      const Span& sp = spans[i];
      std::vector<int64_t> ids(enc.ids.begin() + static_cast<std::ptrdiff_t>(sp.s),
                               enc.ids.begin() + static_cast<std::ptrdiff_t>(sp.e) + 1);
      // Offsets of context tokens are into the context; a span that starts at CLS starts at 0.
      const bool in_context = sep < n && sp.s > sep;
      out.push_back({{tokenizer->decode(ids, true), static_cast<float>(sp.score),
                      in_context ? chars.at(enc.offsets[sp.s].first) : 0, chars.at(enc.offsets[sp.e].second)},
                     sp.score});
    }
    return out;
  }

  std::optional<int64_t> sep_id_;
  size_t pair_special_tokens_ = 0;
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
