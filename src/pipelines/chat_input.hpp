// text-generation's chat input rendered with tokenizer_config.json's chat_template (add_generation_prompt, as
// Transformers.js' pipeline renders it). The template is parsed once, when the pipeline loads. Internal.
#pragma once

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "tokenizers/chat_template.hpp"
#include "transformers/tasks/text_generation.hpp"

namespace transformers::pipelines {

class ChatRenderer {
 public:
  // A folder without a chat template, or one that does not parse, loads all the same (Transformers.js fails
  // only when a chat is rendered); render() then gives the reason.
  ChatRenderer(const nlohmann::json& tokenizer_config, const std::filesystem::path& model);
  // InvalidInputError naming the chat (`index` in the call) for a malformed message, a folder without a chat
  // template, or a template that fails (its own message, e.g. raise_exception's).
  std::string render(const Chat& chat, size_t index) const;

 private:
  std::filesystem::path model_;
  std::unique_ptr<ChatTemplate> template_;
  std::string unavailable_;  // why there is no template
  ChatTemplateOptions options_;
};

}  // namespace transformers::pipelines
