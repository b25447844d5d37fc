// text2text-generation, translation and summarization, as Transformers.js' Text2TextGenerationPipeline and
// its two subclasses: config.json's prefix (and task_specific_params[task].prefix) before each text, the
// encoder's right-padded batch, generation from the decoder start token, decoded without special tokens.
#include "pipelines/generation_pipeline.hpp"
#include "pipelines/task_json.hpp"
#include "pipelines/translation_inputs.hpp"
#include "transformers/error.hpp"

namespace transformers {

namespace {

template <class Options, class Result>
class Text2Text final : public pipelines::GenerationPipeline {
 public:
  Text2Text(std::string task, const std::filesystem::path& model, const PipelineOptions& options)
      : GenerationPipeline(std::move(task), model, options, true) {}

  Output run(const PipelineInputs& inputs, bool batched_input, const CallOptions& call_options) override {
    const auto& options = std::get<Options>(call_options);
    if (inputs.texts.empty()) throw InvalidInputError(task + ": no input texts");
    std::vector<std::string> texts = inputs.texts;
    auto prefix = [&](const nlohmann::json& object) {
      if (object.is_object() && object.contains("prefix") && object["prefix"].is_string())
        for (auto& t : texts) t = object["prefix"].get<std::string>() + t;
    };
    prefix(model_json);
    if (model_json.contains("task_specific_params") && model_json["task_specific_params"].is_object() &&
        model_json["task_specific_params"].contains(task))
      prefix(model_json["task_specific_params"][task]);

    generation::GenerationConfig config = call_config(options.generation);
    EncodeOptions enc = encode_options();
    enc.max_length = std::nullopt;  // model_max_length, as Transformers.js truncates
    std::vector<Encoding> rows;
    if constexpr (std::is_same_v<Options, TranslationOptions>) {
      rows = pipelines::translation_inputs(*tokenizer, tokenizer_config, model_path, texts, enc, options.src_lang,
                                           options.tgt_lang, config);
    } else {
      rows = tokenizer->encode_many(texts, {}, enc);
    }
    tokenizer->pad_to_longest(rows);
    const BatchEncoding e = BatchEncoding::stack(rows);
    check_encoding(e, rows.size());
    generation::TokenBatch batch{e.batch, e.seq_len, e.input_ids, e.attention_mask};
    Generated g = generate(batch, config, {});
    Result result;
    result.inputs.resize(inputs.size());
    for (size_t s = 0; s < g.texts.size(); ++s) result.inputs[s / g.per_input].push_back(std::move(g.texts[s]));
    Output out(std::move(result), batched_input);
    g.output.stats.prompt_tokens = e.seq_len;
    out.set_generation_stats(std::move(g.output.stats));
    return out;
  }
};

// Transformers.js returns one flat list of {key: text} over every input and sequence, batched or not.
pipelines::JsValue flat_texts(const std::vector<std::vector<std::string>>& inputs, const char* key) {
  pipelines::JsValue out = pipelines::JsValue::array();
  for (const auto& sequences : inputs)
    for (const auto& s : sequences) out.push_back(pipelines::JsValue{{key, s}});
  return out;
}

}  // namespace

namespace pipelines {
JsValue transformers_js_json(const Text2TextGenerationResult& r, bool) { return flat_texts(r.inputs, "generated_text"); }
JsValue transformers_js_json(const TranslationResult& r, bool) { return flat_texts(r.inputs, "translation_text"); }
JsValue transformers_js_json(const SummarizationResult& r, bool) { return flat_texts(r.inputs, "summary_text"); }
}  // namespace pipelines

std::unique_ptr<Pipeline::Impl> make_text2text_generation(const std::filesystem::path& model,
                                                          const PipelineOptions& options) {
  return std::make_unique<Text2Text<Text2TextGenerationOptions, Text2TextGenerationResult>>("text2text-generation",
                                                                                             model, options);
}
std::unique_ptr<Pipeline::Impl> make_translation(const std::filesystem::path& model, const PipelineOptions& options) {
  return std::make_unique<Text2Text<TranslationOptions, TranslationResult>>("translation", model, options);
}
std::unique_ptr<Pipeline::Impl> make_summarization(const std::filesystem::path& model, const PipelineOptions& options) {
  return std::make_unique<Text2Text<SummarizationOptions, SummarizationResult>>("summarization", model, options);
}

}  // namespace transformers
