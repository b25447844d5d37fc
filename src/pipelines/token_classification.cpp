// token-classification (alias ner): `none` and `simple` as Transformers.js' TokenClassificationPipeline;
// `first`, `average` and `max` as Hugging Face Python's (Transformers.js refuses them).
#include <algorithm>
#include <cmath>

#include "pipelines/char_offsets.hpp"
#include "pipelines/scores.hpp"
#include "pipelines/task_json.hpp"
#include "pipelines/text_pipeline.hpp"
#include "transformers/error.hpp"

namespace transformers {

namespace {

// "B-PER" -> (B, PER); a label without a B-/I-/E-/S- prefix is (I, label), as both implementations read it.
std::pair<char, std::string> bio_tag(const std::string& entity, bool with_e_and_s) {
  if (entity.size() >= 2 && entity[1] == '-') {
    const char p = entity[0];
    if (p == 'B' || p == 'I' || (with_e_and_s && (p == 'E' || p == 'S'))) return {p, entity.substr(2)};
  }
  return {'I', entity};
}

bool contains(const std::vector<std::string>& list, const std::string& s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

class TokenClassification final : public Pipeline::Impl {
 public:
  TokenClassification(const std::filesystem::path& model, const PipelineOptions& options)
      : Impl("token-classification", model, options) {
    require_output("logits");
    for (const auto& o : session->outputs())
      if (o.name == "logits" && o.dims.size() == 3 && o.dims[2] > 0) check_labels(static_cast<size_t>(o.dims[2]), "logits");
  }

  Output run(const PipelineInputs& inputs, bool batched_input, const CallOptions& call_options) override {
    const auto& options = std::get<TokenClassificationOptions>(call_options);
    Forward f = forward(inputs, {"logits"});
    const OutputTensor& logits = f.outputs.at(0);
    const size_t batch = inputs.size(), seq = f.encoding.seq_len;
    if (logits.dims.size() != 3 || logits.dims[0] != static_cast<int64_t>(batch) ||
        logits.dims[1] != static_cast<int64_t>(seq) || logits.dims[2] <= 0) {
      throw Error("token-classification: output 'logits' has shape " + Tensor{logits.dims, {}}.dims_string() +
                  ", expected [" + std::to_string(batch) + ", " + std::to_string(seq) + ", num_labels]");
    }
    const size_t labels = static_cast<size_t>(logits.dims[2]);
    check_labels(labels, "logits");
    TokenClassificationResult result;
    result.aggregation_strategy = options.aggregation_strategy;
    for (size_t i = 0; i < batch; ++i) {
      const float* rows = logits.data.data() + i * seq * labels;
      const Encoding& enc = f.rows[i];
      const pipelines::CharOffsets chars(inputs.texts[i]);
      result.inputs.push_back(options.aggregation_strategy == AggregationStrategy::none ||
                                      options.aggregation_strategy == AggregationStrategy::simple
                                  ? transformers_js_tokens(enc, rows, labels, chars, options)
                                  : word_groups(enc, rows, labels, chars, options, inputs.texts[i]));
    }
    return with_truncation(Output(TaskResult(std::move(result)), batched_input), f);
  }

 private:
  // Transformers.js: each position's best label; positions whose label is ignored, or whose token
  // decodes to nothing (special tokens, padding), are dropped; `simple` then groups what is left.
  std::vector<TokenEntity> transformers_js_tokens(const Encoding& enc, const float* rows, size_t labels,
                                                  const pipelines::CharOffsets& chars, const TokenClassificationOptions& options) const {
    std::vector<TokenEntity> tokens;
    std::vector<float> scores;
    for (size_t j = 0; j < enc.ids.size(); ++j) {
      const float* row = rows + j * labels;
      const size_t best = pipelines::argmax(row, labels);
      std::string entity = config.label(static_cast<int>(best));
      if (contains(options.ignore_labels, entity)) continue;
      std::string word = tokenizer->decode({enc.ids[j]}, true);
      if (word.empty()) continue;  // a special token
      pipelines::softmax(row, labels, scores);
      tokens.push_back({std::move(entity), scores[best], static_cast<int64_t>(j), std::move(word),
                        chars.at(enc.offsets[j].first), chars.at(enc.offsets[j].second)});
    }
    if (options.aggregation_strategy == AggregationStrategy::none) return tokens;
    return group_simple(tokens, enc);
  }

  // Transformers.js' groupEntities: B/I/E/S tags; a token extends the open group when its tag is the
  // group's and it is not B or S; E closes the group; the score is the mean of the tokens' scores.
  std::vector<TokenEntity> group_simple(const std::vector<TokenEntity>& tokens, const Encoding& enc) const {
    struct Span {
      std::string tag;
      size_t begin, end;
    };
    std::vector<Span> spans;
    std::optional<std::string> open;
    for (size_t i = 0; i < tokens.size(); ++i) {
      const auto [prefix, tag] = bio_tag(tokens[i].entity, true);
      if (open && *open == tag && prefix != 'B' && prefix != 'S') {
        spans.back().end = i + 1;
        if (prefix == 'E') open.reset();
      } else {
        spans.push_back({tag, i, i + 1});
        if (prefix == 'S') open.reset();
        else open = tag;
      }
    }
    std::vector<TokenEntity> groups;
    for (const Span& s : spans) {
      double sum = 0;
      std::vector<int64_t> ids;
      for (size_t i = s.begin; i < s.end; ++i) {
        sum += tokens[i].score;
        ids.push_back(enc.ids[static_cast<size_t>(tokens[i].index)]);
      }
      groups.push_back({s.tag, static_cast<float>(sum / static_cast<double>(s.end - s.begin)), -1,
                        tokenizer->decode(ids, true), tokens[s.begin].start, tokens[s.end - 1].end});
    }
    return groups;
  }

  // Hugging Face Python: tokens (special ones left out) form words (a token continues a word when its
  // text is longer than the span it covers, as a "##" piece, or, for tokenizers without such a prefix,
  // when no space precedes it); each word gets one label (first: its first token's; average: the best of
  // the mean scores; max: the best-scoring token's); adjacent words then group like `simple`, with O
  // grouped too, and groups with an ignored label are dropped.
  std::vector<TokenEntity> word_groups(const Encoding& enc, const float* rows, size_t labels, const pipelines::CharOffsets& chars,
                                       const TokenClassificationOptions& options, const std::string& text) const {
    struct Piece {
      size_t position;
      std::vector<float> scores;
      bool subword;
      std::string word;  // its token, or for the unknown token the text it stands for
    };
    std::vector<Piece> pieces;
    std::vector<float> scores;
    const std::string prefix = tokenizer->continuing_subword_prefix();
    const std::optional<int64_t> unk = tokenizer->special_token_id("unk_token");
    for (size_t j = 0; j < enc.ids.size(); ++j) {
      // Python's special_tokens_mask: the tokens the post-processor added (and padding), not [UNK].
      if (enc.attention_mask[j] == 0 || (tokenizer->is_special_id(enc.ids[j]) && enc.ids[j] != unk)) continue;
      const auto [b, e] = enc.offsets[j];
      pipelines::softmax(rows + j * labels, labels, scores);
      std::string token = tokenizer->id_to_token(enc.ids[j]).value_or("");
      bool subword;
      if (!prefix.empty()) {
        subword = chars.at(e) - chars.at(b) != pipelines::CharOffsets(token).at(token.size());
      } else {
        subword = b > 0 && text[b - 1] != ' ' && (b >= text.size() || text[b] != ' ');
      }
      if (unk == enc.ids[j]) {
        token = text.substr(b, e - b);
        subword = false;
      }
      pieces.push_back({j, scores, subword, std::move(token)});
    }
    // Words: a run of a non-subword piece and the subword pieces after it.
    struct Word {
      std::string entity;
      float score;
      std::vector<std::string> tokens;
      int64_t start, end;
    };
    std::vector<Word> words;
    for (size_t p = 0; p < pieces.size();) {
      size_t q = p + 1;
      while (q < pieces.size() && pieces[q].subword) ++q;
      std::vector<float> chosen;
      if (options.aggregation_strategy == AggregationStrategy::first) {
        chosen = pieces[p].scores;
      } else if (options.aggregation_strategy == AggregationStrategy::max) {
        size_t best = p;
        float best_score = -1;
        for (size_t k = p; k < q; ++k) {
          const float m = *std::max_element(pieces[k].scores.begin(), pieces[k].scores.end());
          if (m > best_score) {
            best_score = m;
            best = k;
          }
        }
        chosen = pieces[best].scores;
      } else {  // average
        chosen.assign(labels, 0.0f);
        for (size_t l = 0; l < labels; ++l) {
          double sum = 0;
          for (size_t k = p; k < q; ++k) sum += pieces[k].scores[l];
          chosen[l] = static_cast<float>(sum / static_cast<double>(q - p));
        }
      }
      const size_t best = pipelines::argmax(chosen.data(), labels);
      Word w{config.label(static_cast<int>(best)), chosen[best], {}, chars.at(enc.offsets[pieces[p].position].first),
             chars.at(enc.offsets[pieces[q - 1].position].second)};
      for (size_t k = p; k < q; ++k) w.tokens.push_back(pieces[k].word);
      words.push_back(std::move(w));
      p = q;
    }
    // Groups of adjacent words: a word joins the group before it when it has the same tag and is not B-.
    std::vector<TokenEntity> groups;
    for (size_t w = 0; w < words.size();) {
      const std::string tag = bio_tag(words[w].entity, false).second;
      size_t v = w + 1;
      while (v < words.size()) {
        const auto [bi, t] = bio_tag(words[v].entity, false);
        if (t != tag || bi == 'B') break;
        ++v;
      }
      double sum = 0;
      std::vector<std::string> tokens;
      for (size_t k = w; k < v; ++k) {
        sum += words[k].score;
        tokens.insert(tokens.end(), words[k].tokens.begin(), words[k].tokens.end());
      }
      // The group's label is the first word's without its B-/I- prefix (Python's split("-", 1)[-1]).
      const std::string& first = words[w].entity;
      const size_t dash = first.find('-');
      std::string label = dash == std::string::npos ? first : first.substr(dash + 1);
      if (!contains(options.ignore_labels, label) && !contains(options.ignore_labels, first)) {
        groups.push_back({std::move(label), static_cast<float>(sum / static_cast<double>(v - w)), -1,
                          tokenizer->decode_tokens(std::move(tokens)), words[w].start, words[v - 1].end});
      }
      w = v;
    }
    return groups;
  }
};

}  // namespace

namespace pipelines {
// Transformers.js' objects: {entity, score, index, word} per token, {entity_group, score, word} per group;
// start/end added (Transformers.js has none). One input's list alone unless the call was batched.
JsValue transformers_js_json(const TokenClassificationResult& r, bool batched_input) {
  const bool grouped = r.aggregation_strategy != AggregationStrategy::none;
  auto list = [&](const std::vector<TokenEntity>& items) {
    JsValue a = JsValue::array();
    for (const auto& t : items) {
      JsValue o;
      if (grouped) {
        o = JsValue{{"entity_group", t.entity}, {"score", t.score}, {"word", t.word}};
      } else {
        o = JsValue{{"entity", t.entity}, {"score", t.score}, {"index", t.index}, {"word", t.word}};
      }
      o["start"] = t.start;
      o["end"] = t.end;
      a.push_back(std::move(o));
    }
    return a;
  };
  return per_input(r.inputs, batched_input, list);
}
}  // namespace pipelines

std::unique_ptr<Pipeline::Impl> make_token_classification(const std::filesystem::path& model,
                                                          const PipelineOptions& options) {
  return std::make_unique<TokenClassification>(model, options);
}

}  // namespace transformers
