#include "pipelines/chat_input.hpp"

#include "tokenizers/chat_template.hpp"
#include "transformers/error.hpp"

namespace transformers::pipelines {

std::string render_chat(const nlohmann::json& tokenizer_config, const Chat& chat, size_t index,
                        const std::filesystem::path& model) {
  const std::string which = "text-generation: chat " + std::to_string(index);
  if (chat.empty()) throw InvalidInputError(which + " has no messages");
  if (!tokenizer_config.contains("chat_template"))
    throw InvalidInputError("text-generation: " + (model / "tokenizer_config.json").string() +
                            " has no chat_template, so chats cannot be rendered (give a prompt instead)");
  const nlohmann::ordered_json config(tokenizer_config);
  ChatTemplateOptions options;
  options.add_generation_prompt = true;  // as Transformers.js' pipeline renders a chat
  set_special_tokens_from_config(options, config);
  nlohmann::ordered_json messages = nlohmann::ordered_json::array();
  for (const auto& m : chat) messages.push_back({{"role", m.role}, {"content", m.content}});
  try {
    return apply_chat_template(select_chat_template(config["chat_template"], std::nullopt, false), messages, options);
  } catch (const InvalidInputError& e) {
    throw InvalidInputError(which + ": the chat template of " + model.string() + " failed: " + e.what());
  }
}

}  // namespace transformers::pipelines
