// What `transformers-cpp mem` runs: the first pipeline (<task> --model DIR) and, with
// --then [TASK:]DIR2, a second one loaded after the first is disposed — the articles' scenario
// (docs/seed-scenario.md): a translation pipeline, then a text-classification one that may reuse its
// freed memory. Each stage's inputs come from --inputs FILE (one per line) or the task's samples.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "cli/args.hpp"
#include "transformers/memory.hpp"

namespace transformers::cli {

struct MemStage {
  std::string task;
  std::filesystem::path model;
  std::vector<std::string> inputs;
};

// The first stage and, with --then, the second. InvalidInputError for an unknown task in --then, an
// empty or unreadable --inputs file.
std::vector<MemStage> mem_stages(const Args& args);

// The sample inputs of a task on a model: Russian words for a transliteration model (a folder with
// transliteration.json), English sentences otherwise.
std::vector<std::string> sample_inputs(const std::string& task, const std::filesystem::path& model);

// The idle period to wait for after the last dispose so that a deferred policy's release shows: none
// for immediate and retain.
std::optional<int> idle_wait_ms(const ReleasePolicy& policy);

}  // namespace transformers::cli
