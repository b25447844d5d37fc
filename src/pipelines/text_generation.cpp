// text-generation, as Transformers.js' TextGenerationPipeline: prompts (or chats rendered with the chat
// template) tokenized and left-padded, generated with the model's settings merged with the call's, decoded
// without special tokens; return_full_text false cuts the decoded prompt's length off.
#include "pipelines/chat_input.hpp"
#include "pipelines/generation_pipeline.hpp"
#include "pipelines/task_json.hpp"
#include "tokenizers/jinja/jinja_strings.hpp"
#include "transformers/error.hpp"

namespace transformers {

namespace {

class TextGeneration final : public pipelines::GenerationPipeline {
 public:
  TextGeneration(const std::filesystem::path& model, const PipelineOptions& options)
      : GenerationPipeline("text-generation", model, options, false), chats_(tokenizer_config, model) {}

  Output run(const PipelineInputs& inputs, bool batched_input, const CallOptions& call_options) override {
    const auto& options = std::get<TextGenerationOptions>(call_options);
    if (inputs.size() == 0) throw InvalidInputError("text-generation: no input texts");
    const bool chat = !inputs.chats.empty();
    std::vector<std::string> prompts = inputs.texts;
    if (chat) {
      prompts.clear();
      for (size_t i = 0; i < inputs.chats.size(); ++i)
        prompts.push_back(chats_.render(inputs.chats[i], i));
    }
    // As Transformers.js: special tokens unless the tokenizer adds none by default; a chat's template has them.
    const auto flag = [&](const char* key) {
      return tokenizer_config.contains(key) && tokenizer_config[key].is_boolean() && tokenizer_config[key].get<bool>();
    };
    const bool add_special = chat ? false : options.add_special_tokens.value_or(flag("add_bos_token") || flag("add_eos_token"));
    const bool full_text = chat ? false : options.return_full_text.value_or(true);

    EncodeOptions enc;
    enc.add_special_tokens = add_special;
    enc.truncation = true;  // to model_max_length, as Transformers.js
    std::vector<Encoding> rows = tokenizer->encode_many(prompts, {}, enc);
    // Left padding with the pad token (Transformers.js sets padding_side 'left' for generation).
    size_t longest = 0;
    for (const auto& r : rows) longest = std::max(longest, r.ids.size());
    generation::TokenBatch batch;
    batch.batch = rows.size();
    batch.length = longest;
    const int64_t pad = tokenizer->pad_token_id();
    for (const auto& r : rows) {
      batch.ids.insert(batch.ids.end(), longest - r.ids.size(), pad);
      batch.mask.insert(batch.mask.end(), longest - r.ids.size(), 0);
      batch.ids.insert(batch.ids.end(), r.ids.begin(), r.ids.end());
      batch.mask.insert(batch.mask.end(), r.ids.size(), 1);
    }
    // The decoded prompt of each row: where the new text starts (return_full_text false, stop strings).
    std::vector<size_t> prompt_bytes(rows.size(), 0);
    std::vector<size_t> prompt_units(rows.size(), 0);
    if (longest > 0) {
      for (size_t r = 0; r < rows.size(); ++r) {
        const std::vector<int64_t> padded(batch.ids.begin() + static_cast<std::ptrdiff_t>(r * longest),
                                          batch.ids.begin() + static_cast<std::ptrdiff_t>((r + 1) * longest));
        const std::string decoded = tokenizer->decode(padded, true);
        prompt_bytes[r] = decoded.size();
        prompt_units[r] = jinja::text::utf16_length(decoded);
      }
    }
    const generation::GenerationConfig config = call_config(options.generation);
    Generated g = generate(batch, config, prompt_bytes);

    TextGenerationResult result;
    result.inputs.resize(inputs.size());
    for (size_t s = 0; s < g.texts.size(); ++s) {
      const size_t r = s / g.per_input;
      std::string text = std::move(g.texts[s]);
      // Transformers.js slices the decoded sequence by the decoded prompt's JavaScript length.
      if (!full_text && longest > 0) text = text.substr(pipelines::utf16_offset(text, prompt_units[r]));
      GeneratedText out;
      if (chat) {
        out.messages = inputs.chats[r];
        out.messages.push_back({"assistant", text});
      }
      out.generated_text = std::move(text);
      result.inputs[r].push_back(std::move(out));
    }
    Output out(std::move(result), batched_input);
    g.output.stats.prompt_tokens = longest;
    out.set_generation_stats(std::move(g.output.stats));
    return out;
  }

 private:
  pipelines::ChatRenderer chats_;
};

}  // namespace

namespace pipelines {
JsValue transformers_js_json(const TextGenerationResult& r, bool batched_input) {
  return per_input(r.inputs, batched_input, [](const std::vector<GeneratedText>& sequences) {
    JsValue list = JsValue::array();
    for (const auto& s : sequences) {
      JsValue o = JsValue::object();
      if (s.messages.empty()) {
        o["generated_text"] = s.generated_text;
      } else {
        JsValue chat = JsValue::array();
        for (const auto& m : s.messages) chat.push_back(JsValue{{"role", m.role}, {"content", m.content}});
        o["generated_text"] = std::move(chat);
      }
      list.push_back(std::move(o));
    }
    return list;
  });
}
}  // namespace pipelines

std::unique_ptr<Pipeline::Impl> make_text_generation(const std::filesystem::path& model, const PipelineOptions& options) {
  return std::make_unique<TextGeneration>(model, options);
}

}  // namespace transformers
