// Chat templates: a conversation (a list of {role, content, ...} messages) to the prompt text a chat
// model expects, as Transformers.js 4.3.1's tokenizer.apply_chat_template(messages, {tokenize: false})
// renders it: the template runs in our @huggingface/jinja-compatible engine (tokenizers/jinja/jinja.hpp)
// with the variables Transformers.js passes: messages, add_generation_prompt, tools, documents, the
// special tokens of tokenizer_config.json, then any extra variables. docs/chat-templates.md.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "tokenizers/jinja/jinja.hpp"

namespace transformers {

struct ChatTemplateOptions {
  bool add_generation_prompt = false;
  // The special tokens, as tokenizer_config.json gives them (set_special_tokens_from_config). An empty
  // token is not passed to the template, as Transformers.js skips falsy ones.
  std::string bos_token, eos_token, unk_token, sep_token, pad_token, cls_token, mask_token;
  nlohmann::ordered_json tools = nullptr;      // a list of tools (JSON schemas), or null: none
  nlohmann::ordered_json documents = nullptr;  // a list of documents for retrieval-augmented templates, or null
  // More template variables (enable_thinking, date_string, custom_tools, ...). They are set last and so
  // override the ones above, as Transformers.js' extra options do; Transformers.js option names
  // (tokenize, chat_template, tools, ...) are refused.
  nlohmann::ordered_json extra = nlohmann::ordered_json::object();
  jinja::RenderLimits limits;
};

// Renders `messages` through `template_source`. Messages are checked as Transformers.js' text-generation
// pipeline checks a chat: a list whose items are objects with "role" and "content" (an InvalidInputError
// names the first bad one). nlohmann::ordered_json keeps key order as JavaScript would see it (that shows in
// |tojson and |items); nlohmann::json sorts keys. Throws InvalidInputError for template syntax errors, render
// errors and raise_exception() (whose message is the template's own).
std::string apply_chat_template(const std::string& template_source, const nlohmann::ordered_json& messages,
                                const ChatTemplateOptions& options);
std::string apply_chat_template(const std::string& template_source, const nlohmann::json& messages,
                                const ChatTemplateOptions& options);

// A chat template parsed once, for many conversations (thread-safe).
class ChatTemplate {
 public:
  explicit ChatTemplate(const std::string& template_source);
  std::string apply(const nlohmann::ordered_json& messages, const ChatTemplateOptions& options) const;

 private:
  jinja::Template template_;
};

// The template source to use, from tokenizer_config.json's chat_template (a string, or a list of
// {name, template} objects) and the caller's choice, as Transformers.js' get_chat_template picks it:
// `requested` is a template name from the list or else a template source itself; without one, a named list
// gives "tool_use" when tools are passed (`has_tools`: tools is not null) and it has one, else "default".
std::string select_chat_template(const nlohmann::ordered_json& chat_template,
                                 const std::optional<std::string>& requested, bool has_tools);

// Sets the special tokens of `options` from tokenizer_config.json: each field a string or an AddedToken
// object ({"__type": "AddedToken", "content": ...}), as Transformers.js reads them.
void set_special_tokens_from_config(ChatTemplateOptions& options, const nlohmann::ordered_json& tokenizer_config);

}  // namespace transformers
