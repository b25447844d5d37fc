#include "cli/mem_stages.hpp"

#include <fstream>

#include "transformers/error.hpp"
#include "transformers/pipeline.hpp"

namespace transformers::cli {

std::vector<std::string> sample_inputs(const std::string& task, const std::filesystem::path& model) {
  std::error_code ec;
  if (canonical_task(task) == "translation" && std::filesystem::exists(model / "transliteration.json", ec)) {
    return {"Москва", "объявление", "подъезд", "ёлка", "Щукино", "Евгений", "детство", "Хабаровск"};
  }
  return {"The quick brown fox jumps over the lazy dog.",
          "Memory that is given back to the operating system can be used by every other program.", "ok",
          "A somewhat longer sentence, so that the batch is padded and the working memory is real."};
}

namespace {
std::vector<std::string> read_inputs(const std::string& file) {
  std::ifstream in(file);
  if (!in) throw InvalidInputError("--inputs: cannot read " + file);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) lines.push_back(line);
  if (lines.empty()) throw InvalidInputError("--inputs: " + file + " has no non-empty line");
  return lines;
}
}  // namespace

std::vector<MemStage> mem_stages(const Args& args) {
  if (args.positionals().size() != 1) throw InvalidInputError("mem: give exactly one <task>");
  MemStage first{args.positionals()[0], args.require("model"), {}};
  canonical_task(first.task);  // an unknown task is an error before anything loads
  first.inputs = args.get("inputs") ? read_inputs(*args.get("inputs")) : sample_inputs(first.task, first.model);
  std::vector<MemStage> stages{first};
  if (auto then = args.get("then")) {
    // TASK:DIR when the part before the first ':' is a task; otherwise the whole value is a folder of the
    // same task (a folder may contain ':').
    MemStage second{first.task, *then, {}};
    const size_t colon = then->find(':');
    if (colon != std::string::npos && colon > 0) {
      const std::string head = then->substr(0, colon);
      bool is_task = false;
      for (const auto& t : supported_tasks()) is_task = is_task || t == head;
      if (is_task) second = {head, then->substr(colon + 1), {}};
    }
    if (second.model.empty()) throw InvalidInputError("--then: no model folder after '" + second.task + ":'");
    second.inputs = sample_inputs(second.task, second.model);
    stages.push_back(second);
  }
  return stages;
}

std::optional<int> idle_wait_ms(const ReleasePolicy& policy) {
  if (policy.kind != ReleaseKind::deferred) return std::nullopt;
  return static_cast<int>(policy.idle_ms) + 250;  // the reaper wakes at the expiry; a margin for a busy host
}

}  // namespace transformers::cli
