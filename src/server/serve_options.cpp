#include "server/serve_options.hpp"

#include <algorithm>
#include <system_error>

#include "transformers/error.hpp"
#include "transformers/model_folder.hpp"

namespace transformers::server {

namespace fs = std::filesystem;

void check_model_name(std::string_view name) {
  const bool ok = !name.empty() && name.size() <= 64 && name != "." && name != ".." &&
                  std::all_of(name.begin(), name.end(), [](char c) {
                    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
                  });
  if (!ok) {
    throw InvalidInputError("model name '" + std::string(name) +
                            "': use 1 to 64 letters, digits, '.', '_' or '-' (it appears in request paths)");
  }
}

namespace {
bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}
}  // namespace

std::string infer_task(const fs::path& dir) {
  const ModelConfig config = ModelConfig::from_file(dir / "config.json");
  for (const auto& a : config.architectures) {
    if (ends_with(a, "ForSequenceClassification")) return "text-classification";
    if (ends_with(a, "ForTokenClassification")) return "token-classification";
    if (ends_with(a, "ForQuestionAnswering")) return "question-answering";
    if (ends_with(a, "ForMaskedLM")) return "fill-mask";
    if (ends_with(a, "ForCausalLM") || ends_with(a, "LMHeadModel")) return "text-generation";
    if (ends_with(a, "MTModel") || ends_with(a, "ForConditionalGeneration")) {
      const std::string& t = config.model_type;
      return t == "marian" || t == "m2m_100" || t == "nllb" || t == "mbart" ? "translation" : "text2text-generation";
    }
  }
  return "feature-extraction";
}

ModelSpec parse_model_spec(std::string_view text) {
  const size_t eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0 || eq + 1 == text.size()) {
    throw InvalidInputError("--model '" + std::string(text) + "': expected NAME=DIR or NAME=TASK:DIR");
  }
  ModelSpec spec;
  spec.name = std::string(text.substr(0, eq));
  check_model_name(spec.name);
  std::string_view rest = text.substr(eq + 1);
  // TASK: only when the part before the first ':' is a task name (a folder may contain ':').
  if (const size_t colon = rest.find(':'); colon != std::string_view::npos) {
    const std::string head(rest.substr(0, colon));
    bool known = false;
    for (const auto& t : supported_tasks()) known = known || t == head;
    if (known) {
      spec.task = canonical_task(head);
      rest = rest.substr(colon + 1);
    }
  }
  spec.dir = fs::path(std::string(rest));
  std::error_code ec;
  if (!fs::is_regular_file(spec.dir / "config.json", ec)) {
    throw InvalidInputError("--model " + spec.name + ": " + (spec.dir / "config.json").string() + " does not exist");
  }
  if (spec.task.empty()) spec.task = infer_task(spec.dir);
  return spec;
}

std::vector<ModelSpec> scan_model_repository(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw InvalidInputError("--model-repository " + dir.string() + " is not a folder");
  std::vector<ModelSpec> out;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (!entry.is_directory() || !fs::is_regular_file(entry.path() / "config.json")) continue;
    ModelSpec spec;
    spec.name = entry.path().filename().string();
    check_model_name(spec.name);
    spec.dir = entry.path();
    spec.task = infer_task(spec.dir);
    out.push_back(std::move(spec));
  }
  if (ec) throw InvalidInputError("--model-repository " + dir.string() + ": " + ec.message());
  std::sort(out.begin(), out.end(), [](const ModelSpec& a, const ModelSpec& b) { return a.name < b.name; });
  return out;
}

}  // namespace transformers::server
