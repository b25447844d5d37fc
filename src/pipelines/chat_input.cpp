#include "pipelines/chat_input.hpp"

#include "transformers/error.hpp"

namespace transformers::pipelines {

ChatRenderer::ChatRenderer(const nlohmann::json& tokenizer_config, const std::filesystem::path& model) : model_(model) {
  if (!tokenizer_config.contains("chat_template")) {
    unavailable_ = (model / "tokenizer_config.json").string() +
                   " has no chat_template, so chats cannot be rendered (give a prompt instead)";
    return;
  }
  const nlohmann::ordered_json config(tokenizer_config);
  options_.add_generation_prompt = true;  // as Transformers.js' pipeline renders a chat
  set_special_tokens_from_config(options_, config);
  try {
    template_ = std::make_unique<ChatTemplate>(select_chat_template(config["chat_template"], std::nullopt, false));
  } catch (const InvalidInputError& e) {
    unavailable_ = "the chat template of " + model.string() + " failed: " + e.what();
  }
}

std::string ChatRenderer::render(const Chat& chat, size_t index) const {
  const std::string which = "text-generation: chat " + std::to_string(index);
  if (chat.empty()) throw InvalidInputError(which + " has no messages");
  if (!template_) throw InvalidInputError("text-generation: " + unavailable_);
  nlohmann::ordered_json messages = nlohmann::ordered_json::array();
  for (const auto& m : chat) messages.push_back({{"role", m.role}, {"content", m.content}});
  try {
    return template_->apply(messages, options_);
  } catch (const InvalidInputError& e) {
    throw InvalidInputError(which + ": the chat template of " + model_.string() + " failed: " + e.what());
  }
}

}  // namespace transformers::pipelines
