// `transformers-cpp cache list|clear|prune`: the weights cache (optimized models and weight sidecars).
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/args.hpp"
#include "cli/json_out.hpp"
#include "core/files.hpp"
#include "transformers/engine.hpp"
#include "transformers/error.hpp"

namespace transformers::cli {


int cache_command(const Args& args) {
  if (args.positionals().size() != 1) throw InvalidInputError("cache: give one of list, clear, prune");
  const std::string what = args.positionals()[0];
  const std::filesystem::path dir = args.get("dir").value_or("");
  const std::filesystem::path shown = dir.empty() ? default_weights_cache_dir() : dir;
  if (what == "list") {
    const auto entries = weights_cache_entries(dir);
    uint64_t total = 0;
    for (const auto& e : entries) total += e.bytes;
    if (args.has("json")) {
      nlohmann::ordered_json j;
      j["dir"] = shown.string();
      j["bytes"] = total;
      j["entries"] = nlohmann::ordered_json::array();
      for (const auto& e : entries) j["entries"].push_back({{"path", e.path.string()}, {"kind", e.kind}, {"bytes", e.bytes}});
      print_json(j);
      return 0;
    }
    std::printf("%s: %zu entries, %s\n", shown.c_str(), entries.size(), core::human_bytes(total).c_str());
    for (const auto& e : entries)
      std::printf("  %10s  %-9s  %s\n", core::human_bytes(e.bytes).c_str(), e.kind.c_str(), e.path.filename().c_str());
    return 0;
  }
  if (what == "clear") {
    const uint64_t before = weights_cache_bytes(dir);
    clear_weights_cache(dir);
    std::printf("%s: removed %s\n", shown.c_str(), core::human_bytes(before).c_str());
    return 0;
  }
  if (what == "prune") {
    args.require("max-size");
    const uint64_t limit = args.get_size("max-size", 0);
    const size_t removed = prune_weights_cache(limit, dir);
    std::printf("%s: removed %zu least recently used entries, %s left\n", shown.c_str(), removed,
                core::human_bytes(weights_cache_bytes(dir)).c_str());
    return 0;
  }
  throw InvalidInputError("cache: unknown action '" + what + "' (list, clear or prune)");
}

}  // namespace transformers::cli
