#include "tokenizers/chat_template.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <vector>

#include "transformers/error.hpp"

namespace transformers {

namespace {

using nlohmann::ordered_json;

const char* json_type(const ordered_json& j) {
  if (j.is_array()) return "a list";
  if (j.is_object()) return "an object";
  if (j.is_string()) return "a string";
  if (j.is_number()) return "a number";
  if (j.is_boolean()) return "a boolean";
  return "null";
}

// isChat() of Transformers.js' text-generation pipeline: a list of objects that have "role" and "content".
void check_messages(const ordered_json& messages) {
  if (!messages.is_array())
    throw InvalidInputError(std::string("chat messages must be a list of {role, content} objects, got ") +
                            json_type(messages));
  for (size_t i = 0; i < messages.size(); ++i) {
    const ordered_json& m = messages[i];
    const std::string which = "chat message " + std::to_string(i);
    if (!m.is_object())
      throw InvalidInputError(which + " must be an object with \"role\" and \"content\", got " + json_type(m));
    for (const char* field : {"role", "content"})
      if (!m.contains(field)) throw InvalidInputError(which + " has no \"" + field + "\" field");
  }
}

// Options of Transformers.js' apply_chat_template that are not template variables.
constexpr std::array<const char*, 11> kReserved = {
    "tools",      "documents",  "chat_template", "add_generation_prompt", "tokenize",        "padding",
    "truncation", "max_length", "return_tensor", "return_dict",           "tokenizer_kwargs"};

ordered_json context_of(const ordered_json& messages, const ChatTemplateOptions& o) {
  ordered_json ctx = ordered_json::object();
  ctx["messages"] = messages;
  ctx["add_generation_prompt"] = o.add_generation_prompt;
  ctx["tools"] = o.tools;
  ctx["documents"] = o.documents;
  const std::pair<const char*, const std::string*> tokens[] = {
      {"bos_token", &o.bos_token},  {"eos_token", &o.eos_token}, {"unk_token", &o.unk_token},
      {"sep_token", &o.sep_token},  {"pad_token", &o.pad_token}, {"cls_token", &o.cls_token},
      {"mask_token", &o.mask_token}};
  for (const auto& [name, value] : tokens)
    if (!value->empty()) ctx[name] = *value;
  if (!o.extra.is_object())
    throw InvalidInputError(std::string("chat template extra variables must be an object, got ") + json_type(o.extra));
  for (const auto& [key, value] : o.extra.items()) {
    if (std::find(kReserved.begin(), kReserved.end(), key) != kReserved.end())
      throw InvalidInputError("'" + key + "' is an option of apply_chat_template, not a template variable" +
                              (key == "tools" || key == "documents" || key == "add_generation_prompt"
                                   ? " (set ChatTemplateOptions::" + key + ")"
                                   : std::string()));
    ctx[key] = value;
  }
  return ctx;
}

std::string token_from_config(const ordered_json& config, const char* key) {
  const auto it = config.find(key);
  if (it == config.end()) return "";
  const ordered_json& item = *it;
  // Falsy values (null, "", false, 0) count as absent.
  if (item.is_null() || (item.is_string() && item.get_ref<const std::string&>().empty()) ||
      (item.is_boolean() && !item.get<bool>()) || (item.is_number() && item.get<double>() == 0))
    return "";
  if (item.is_string()) return item.get<std::string>();
  if (item.is_object()) {
    const auto type = item.find("__type");
    const auto content = item.find("content");
    if (type != item.end() && *type == "AddedToken" && content != item.end() && content->is_string())
      return content->get<std::string>();
    throw InvalidInputError(
        std::string("tokenizer_config.json ") + key +
        ": unknown token object (expected a string or {\"__type\": \"AddedToken\", \"content\": ...})");
  }
  throw InvalidInputError(std::string("tokenizer_config.json ") + key + ": expected a string, got " + json_type(item));
}

}  // namespace

ChatTemplate::ChatTemplate(const std::string& template_source) : template_(template_source) {}

std::string ChatTemplate::apply(const ordered_json& messages, const ChatTemplateOptions& options) const {
  check_messages(messages);
  return template_.render(context_of(messages, options), options.limits);
}

std::string apply_chat_template(const std::string& template_source, const ordered_json& messages,
                                const ChatTemplateOptions& options) {
  check_messages(messages);  // before parsing, as the pipeline checks its input first
  return ChatTemplate(template_source).apply(messages, options);
}

std::string apply_chat_template(const std::string& template_source, const nlohmann::json& messages,
                                const ChatTemplateOptions& options) {
  return apply_chat_template(template_source, ordered_json(messages), options);
}

std::string select_chat_template(const ordered_json& chat_template, const std::optional<std::string>& requested,
                                 bool has_tools) {
  // A list of {name, template} becomes a name -> template table (a later duplicate name wins).
  std::vector<std::pair<std::string, std::string>> named;
  bool table = false;
  if (chat_template.is_array()) {
    table = true;
    for (const auto& entry : chat_template) {
      if (!entry.is_object() || !entry.contains("name") || !entry["name"].is_string() || !entry.contains("template") ||
          !entry["template"].is_string())
        throw InvalidInputError("Chat template must be a list of objects with \"name\" and \"template\" properties");
      const std::string name = entry["name"].get<std::string>();
      auto it = std::find_if(named.begin(), named.end(), [&](const auto& p) { return p.first == name; });
      if (it != named.end())
        it->second = entry["template"].get<std::string>();
      else
        named.emplace_back(name, entry["template"].get<std::string>());
    }
  } else if (chat_template.is_object()) {
    table = true;
    for (const auto& [name, source] : chat_template.items()) {
      if (!source.is_string()) throw InvalidInputError("chat_template." + name + " must be a string");
      named.emplace_back(name, source.get<std::string>());
    }
  }
  auto find = [&](const std::string& name) -> const std::string* {
    for (const auto& [n, s] : named)
      if (n == name) return &s;
    return nullptr;
  };
  if (table) {
    if (requested) {
      const std::string* s = find(*requested);
      return s != nullptr ? *s : *requested;
    }
    if (has_tools)
      if (const std::string* s = find("tool_use")) return *s;
    if (const std::string* s = find("default")) return *s;
    std::vector<std::string> names;
    for (const auto& [n, s] : named) names.push_back(n);
    std::sort(names.begin(), names.end());
    std::string list;
    for (const auto& n : names) list += (list.empty() ? "" : ",") + n;
    throw InvalidInputError(
        "This model has multiple chat templates with no default specified! Please either pass a chat template or the "
        "name of the template you wish to use to the 'chat_template' argument. Available template names are " +
        list + ".");
  }
  if (requested) return *requested;
  if (chat_template.is_string() && !chat_template.get_ref<const std::string&>().empty())
    return chat_template.get<std::string>();
  throw InvalidInputError(
      "Cannot use apply_chat_template() because tokenizer.chat_template is not set and no template argument was "
      "passed! For information about writing templates and setting the tokenizer.chat_template attribute, please see "
      "the documentation at https://huggingface.co/docs/transformers/main/en/chat_templating");
}

void set_special_tokens_from_config(ChatTemplateOptions& options, const ordered_json& tokenizer_config) {
  if (!tokenizer_config.is_object()) throw InvalidInputError("tokenizer_config.json must be a JSON object");
  options.bos_token = token_from_config(tokenizer_config, "bos_token");
  options.eos_token = token_from_config(tokenizer_config, "eos_token");
  options.unk_token = token_from_config(tokenizer_config, "unk_token");
  options.sep_token = token_from_config(tokenizer_config, "sep_token");
  options.pad_token = token_from_config(tokenizer_config, "pad_token");
  options.cls_token = token_from_config(tokenizer_config, "cls_token");
  options.mask_token = token_from_config(tokenizer_config, "mask_token");
}

}  // namespace transformers
