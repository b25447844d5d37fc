// Pipeline::call_json: a call whose inputs and options arrive as JSON text, read into the typed call.
#include <nlohmann/json.hpp>

#include "transformers/error.hpp"
#include "transformers/pipeline.hpp"

namespace transformers {

namespace {
using Json = nlohmann::json;

[[noreturn]] void bad(const std::string& task, const std::string& what) {
  throw InvalidInputError(task + " inputs: " + what);
}

std::string text_of(const Json& j, const std::string& task, const std::string& where) {
  if (!j.is_string()) bad(task, where + " must be a string, got " + j.dump(-1, ' ', false, Json::error_handler_t::replace));
  return j.get<std::string>();
}

// One {"text", "text_pair"} or {"question", "context"} object into (first, second).
std::pair<std::string, std::string> pair_of(const Json& o, const std::string& task, const std::string& where) {
  const bool qa = o.contains("question") || o.contains("context");
  const char* first = qa ? "question" : "text";
  const char* second = qa ? "context" : "text_pair";
  for (auto it = o.begin(); it != o.end(); ++it)
    if (it.key() != first && it.key() != second) bad(task, where + " has an unknown field '" + it.key() + "'");
  if (!o.contains(first) || !o.contains(second)) bad(task, where + " needs both \"" + first + "\" and \"" + second + "\"");
  return {text_of(o[first], task, where + "." + first), text_of(o[second], task, where + "." + second)};
}
}  // namespace

Output Pipeline::call_json(std::string_view inputs_json, std::string_view options_json) const {
  const std::string& name = task();
  Json in;
  try {
    in = Json::parse(inputs_json.begin(), inputs_json.end());
  } catch (const std::exception& e) {
    bad(name, std::string("not JSON (") + e.what() + ")");
  }
  PipelineInputs inputs;
  bool batched = false;
  if (in.is_string()) {
    inputs.texts.push_back(in.get<std::string>());
  } else if (in.is_object() && (in.contains("question") || in.contains("context")) && in.value("question", Json()).is_array()) {
    // Question-answering's batched form: {"question": [...], "context": [...]}.
    const Json& q = in["question"];
    const Json c = in.value("context", Json());
    if (!c.is_array() || c.size() != q.size()) bad(name, "\"question\" and \"context\" must be lists of one length");
    if (in.size() != 2) bad(name, "a question-answering object holds \"question\" and \"context\" only");
    for (size_t i = 0; i < q.size(); ++i) {
      inputs.texts.push_back(text_of(q[i], name, "question[" + std::to_string(i) + "]"));
      inputs.text_pairs.push_back(text_of(c[i], name, "context[" + std::to_string(i) + "]"));
    }
    batched = true;
  } else if (in.is_object()) {
    auto [a, b] = pair_of(in, name, "the input");
    inputs.texts.push_back(std::move(a));
    inputs.text_pairs.push_back(std::move(b));
  } else if (in.is_array()) {
    batched = true;
    const bool pairs = !in.empty() && in[0].is_object();
    for (size_t i = 0; i < in.size(); ++i) {
      const std::string where = "input " + std::to_string(i);
      if (pairs) {
        if (!in[i].is_object()) bad(name, where + " must be an object like input 0");
        auto [a, b] = pair_of(in[i], name, where);
        inputs.texts.push_back(std::move(a));
        inputs.text_pairs.push_back(std::move(b));
      } else {
        inputs.texts.push_back(text_of(in[i], name, where));
      }
    }
  } else {
    bad(name, "expected a string, a list of strings, or {text, text_pair} / {question, context} objects");
  }
  return call(inputs, batched, call_options_from_json(name, options_json));
}

}  // namespace transformers
