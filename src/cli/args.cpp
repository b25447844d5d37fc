#include "cli/args.hpp"

#include <CLI/CLI.hpp>

#include "transformers/error.hpp"

namespace transformers::cli {

Args::Args(int argc, char** argv, int first, const std::vector<Flag>& flags) {
  CLI::App app;
  app.set_help_flag();  // --help is the command table's
  std::map<std::string, std::string> values;
  std::map<std::string, std::vector<std::string>> lists;
  std::map<std::string, CLI::Option*> options;
  for (const Flag& f : flags) {
    if (f.repeated) options[f.name] = app.add_option("--" + f.name, lists[f.name], f.help)->type_name(f.value)->expected(1)->take_all();
    else options[f.name] = f.value.empty() ? app.add_flag("--" + f.name, f.help)
                                           : app.add_option("--" + f.name, values[f.name], f.help)->type_name(f.value);
  }
  app.add_option("args", positionals_, "inputs")->expected(0, -1);
  try {
    // CLI11 reads argv[0] as the program name: the command's own name stands in for it.
    app.parse(argc - first + 1, argv + first - 1);
  } catch (const CLI::ExtrasError& e) {
    throw InvalidInputError(std::string("unknown option: ") + e.what());
  } catch (const CLI::ParseError& e) {
    throw InvalidInputError(e.what());
  }
  for (const Flag& f : flags) {
    if (!options[f.name]->count()) continue;
    if (f.repeated) {
      repeated_[f.name] = lists[f.name];
      values_[f.name] = lists[f.name].back();
    } else if (f.value.empty()) {
      flags_.insert(f.name);
    } else {
      values_[f.name] = values[f.name];
    }
  }
}

bool Args::has(const std::string& flag) const { return flags_.count(flag) > 0 || values_.count(flag) > 0; }

std::optional<std::string> Args::get(const std::string& flag) const {
  auto it = values_.find(flag);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

std::string Args::require(const std::string& flag) const {
  auto v = get(flag);
  if (!v) throw InvalidInputError("missing required option --" + flag);
  return *v;
}

std::vector<std::string> Args::get_all(const std::string& flag) const {
  auto it = repeated_.find(flag);
  return it == repeated_.end() ? std::vector<std::string>{} : it->second;
}

uint64_t Args::get_size(const std::string& flag, uint64_t fallback) const {
  auto v = get(flag);
  if (!v) return fallback;
  const std::string& s = *v;
  size_t used = 0;
  unsigned long long n = 0;
  try {
    n = std::stoull(s, &used);
  } catch (...) {
    used = 0;
  }
  const std::string unit = used ? s.substr(used) : "";
  const int shift = unit.empty() ? 0 : unit == "K" ? 10 : unit == "M" ? 20 : unit == "G" ? 30 : -1;
  if (used == 0 || shift < 0 || s[0] == '-') throw InvalidInputError("--" + flag + " must be a size like 512M, 2G or a byte count, got '" + s + "'");
  return static_cast<uint64_t>(n) << shift;
}

int Args::get_int(const std::string& flag, int fallback) const {
  auto v = get(flag);
  if (!v) return fallback;
  size_t used = 0;
  int n = 0;
  try {
    n = std::stoi(*v, &used);
  } catch (...) {
    used = 0;
  }
  if (used == 0 || used != v->size()) throw InvalidInputError("--" + flag + " must be an integer, got '" + *v + "'");
  return n;
}

}  // namespace transformers::cli
