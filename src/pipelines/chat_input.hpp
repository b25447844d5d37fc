// text-generation's chat input rendered with tokenizer_config.json's chat_template (add_generation_prompt, as
// Transformers.js' pipeline renders it). Internal.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "transformers/tasks/text_generation.hpp"

namespace transformers::pipelines {

// InvalidInputError naming the chat (`index` in the call) for a malformed message, a folder without a chat
// template, or a template that fails to render (its own message, e.g. raise_exception's).
std::string render_chat(const nlohmann::json& tokenizer_config, const Chat& chat, size_t index,
                        const std::filesystem::path& model);

}  // namespace transformers::pipelines
