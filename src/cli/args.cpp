#include "cli/args.hpp"

#include "transformers/error.hpp"

namespace transformers::cli {

Args::Args(int argc, char** argv, int first, const std::set<std::string>& value_flags,
           const std::set<std::string>& bool_flags) {
  bool only_positionals = false;
  for (int i = first; i < argc; ++i) {
    std::string a = argv[i];
    if (only_positionals || a.size() < 3 || a.rfind("--", 0) != 0) {
      positionals_.push_back(a);
      continue;
    }
    if (a == "--") {
      only_positionals = true;
      continue;
    }
    std::string key = a.substr(2), value;
    bool has_value = false;
    if (auto eq = key.find('='); eq != std::string::npos) {
      value = key.substr(eq + 1);
      key = key.substr(0, eq);
      has_value = true;
    }
    if (value_flags.count(key)) {
      if (!has_value) {
        if (i + 1 >= argc) throw InvalidInputError("--" + key + " needs a value");
        value = argv[++i];
      }
      values_[key] = value;
    } else if (bool_flags.count(key) && !has_value) {
      flags_.insert(key);
    } else {
      throw InvalidInputError("unknown option --" + key);
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
