// text-generation: options and result, as Transformers.js' TextGenerationPipeline (decoder-only models:
// onnx/model.onnx with past_key_values inputs). Inputs are prompts, or chats rendered with the tokenizer's
// chat template.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "transformers/tasks/fields.hpp"
#include "transformers/tasks/generation_options.hpp"

namespace transformers {

// One message of a chat (Transformers.js' {role, content}).
struct ChatMessage {
  std::string role;
  std::string content;

  bool operator==(const ChatMessage&) const = default;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("role", self.role);
    visit("content", self.content);
  }
};
using Chat = std::vector<ChatMessage>;

struct TextGenerationOptions {
  GenerationOptions generation;
  // Unset: tokenizer_config.json's add_bos_token || add_eos_token (chats: never, the template has them).
  std::optional<bool> add_special_tokens;
  // Unset: true for prompts (the prompt's text is kept), false for chats (always false for them).
  std::optional<bool> return_full_text;

  bool operator==(const TextGenerationOptions&) const = default;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    GenerationOptions::fields(self.generation, visit);  // flat, as Transformers.js takes them
    visit("add_special_tokens", self.add_special_tokens);
    visit("return_full_text", self.return_full_text);
  }
};

struct GeneratedText {
  std::string generated_text;
  // For a chat input: the chat with the generated assistant message appended (what Transformers.js returns
  // as generated_text); empty for a prompt.
  Chat messages;

  bool operator==(const GeneratedText&) const = default;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("generated_text", self.generated_text);
    visit("messages", self.messages);
  }
};

struct TextGenerationResult {
  std::vector<std::vector<GeneratedText>> inputs;  // per input, num_return_sequences sequences

  bool operator==(const TextGenerationResult&) const = default;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("inputs", self.inputs);
  }
};

}  // namespace transformers
