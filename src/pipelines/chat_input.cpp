#include "pipelines/chat_input.hpp"

#include "transformers/error.hpp"

namespace transformers::pipelines {

std::string render_chat(const nlohmann::json& tokenizer_config, const Chat& chat, size_t index,
                        const std::filesystem::path& model) {
  if (chat.empty()) throw InvalidInputError("text-generation: chat " + std::to_string(index) + " has no messages");
  if (!tokenizer_config.contains("chat_template"))
    throw InvalidInputError("text-generation: " + model.string() + "/tokenizer_config.json has no chat_template");
  throw InvalidInputError("text-generation: chat templates are not available in this build yet");
}

}  // namespace transformers::pipelines
