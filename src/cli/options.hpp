// Pipeline and call options from command-line flags, shared by run and bench.
#pragma once

#include <nlohmann/json.hpp>
#include <set>

#include "cli/args.hpp"
#include "transformers/engine.hpp"
#include "transformers/error.hpp"
#include "transformers/pipeline.hpp"

namespace transformers::cli {

inline PipelineOptions pipeline_options(const Args& args) {
  PipelineOptions o;
  o.dtype = args.get("dtype").value_or("auto");
  o.model_file_name = args.get("model-file-name").value_or("model");
  o.session.intra_op_threads = args.get_int("threads", 0);
  check_intra_op_threads(o.session.intra_op_threads, "--threads");  // before the model loads
  o.session.prepack_weights = !args.has("no-prepack");  // default: prepacked, from the optimized-model cache
  return o;
}

inline Pooling parse_pooling(const std::string& s) {
  if (s == "none") return Pooling::none;
  if (s == "mean") return Pooling::mean;
  if (s == "cls" || s == "first_token") return Pooling::cls;
  if (s == "last_token" || s == "eos") return Pooling::last_token;
  throw InvalidInputError("--pooling must be none, mean, cls (first_token) or last_token (eos), got '" + s + "'");
}

// A task option's flag: its field name with dashes (top_k -> --top-k). The flags of every task's options
// come from the options types themselves (task_option_fields), so a new option is a new flag.
inline std::string flag_of(const std::string& field) {
  std::string f = field;
  for (char& c : f)
    if (c == '_') c = '-';
  return f;
}

// Every task option flag, split as the parser needs: (flags that take a value, boolean flags).
inline std::pair<std::set<std::string>, std::set<std::string>> task_option_flags() {
  std::set<std::string> values, booleans;
  for (const auto& task : supported_tasks())
    for (const auto& [field, kind] : task_option_fields(task))
      (kind == "boolean" || kind == "boolean or null" ? booleans : values).insert(flag_of(field));
  return {values, booleans};
}

// The task's options from its flags: a boolean flag sets true; a list takes comma-separated items; an
// integer that may be null takes "all" for null (--top-k all: every label); numbers and names as given.
// A task option flag of another task is an error naming it, not silently ignored.
inline CallOptions call_options(const Args& args, const std::string& task) {
  const std::string t = canonical_task(task);  // throws for an unknown task, listing the known ones
  const auto fields = task_option_fields(t);
  const auto [value_flags, bool_flags] = task_option_flags();
  for (const auto* set : {&value_flags, &bool_flags}) {
    for (const auto& flag : *set) {
      if (!args.has(flag)) continue;
      bool mine = false;
      for (const auto& [field, kind] : fields) mine = mine || flag_of(field) == flag;
      if (!mine) throw InvalidInputError("--" + flag + " does not apply to " + t);
    }
  }
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [field, kind] : fields) {
    const std::string flag = flag_of(field);
    if (!args.has(flag)) continue;
    if (kind == "boolean" || kind == "boolean or null") {
      j[field] = true;
      continue;
    }
    const std::string v = *args.get(flag);
    const bool nullable = kind.size() > 8 && kind.compare(kind.size() - 8, 8, " or null") == 0;
    const std::string base = nullable ? kind.substr(0, kind.size() - 8) : kind;
    const auto number = [&](const std::string& text) -> nlohmann::json {
      size_t used = 0;
      double d = 0;
      try {
        d = std::stod(text, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != text.size() || text.empty()) throw InvalidInputError("--" + flag + " takes a number, got '" + text + "'");
      return d;
    };
    const auto integers = [&](const std::string& text) {
      nlohmann::json items = nlohmann::json::array();
      size_t start = 0;
      for (size_t comma; (comma = text.find(',', start)) != std::string::npos; start = comma + 1)
        items.push_back(text.substr(start, comma - start));
      if (!text.empty()) items.push_back(text.substr(start));
      return items;
    };
    if (base == "boolean or never") {
      if (v != "true" && v != "false" && v != "never")
        throw InvalidInputError("--" + flag + " takes true, false or never, got '" + v + "'");
      j[field] = v == "never" ? nlohmann::json("never") : nlohmann::json(v == "true");
    } else if (nullable && v == "null") {
      j[field] = nullptr;
    } else if (nullable && base == "integer" && v == "all") {
      j[field] = nullptr;
    } else if (base == "integer") {
      j[field] = args.get_int(flag, 0);
    } else if (base == "number") {
      j[field] = number(v);
    } else if (base == "integer or list of integers" || base == "list of integers" ||
               base.rfind("list of lists", 0) == 0) {
      // Token ids: "5", "5,7", or (lists of lists) the JSON itself: --bad-words-ids '[[5],[7,8]]'.
      if (!v.empty() && v[0] == '[') {
        j[field] = nlohmann::json::parse(v, nullptr, false);
        if (j[field].is_discarded()) throw InvalidInputError("--" + flag + " takes JSON here, got '" + v + "'");
      } else {
        nlohmann::json ids = nlohmann::json::array();
        for (const auto& item : integers(v)) {
          const std::string text = item.get<std::string>();
          size_t used = 0;
          long long id = 0;
          try {
            id = std::stoll(text, &used);
          } catch (const std::exception&) {
            used = 0;
          }
          if (used != text.size() || text.empty())
            throw InvalidInputError("--" + flag + " takes token ids (5 or 5,7), got '" + v + "'");
          ids.push_back(id);
        }
        j[field] = base == "integer or list of integers" && ids.size() == 1 ? ids[0] : ids;
      }
    } else if (base.rfind("list of", 0) == 0) {
      j[field] = integers(v);
    } else {
      j[field] = v;
    }
  }
  try {
    return call_options_from_json(t, j.dump());
  } catch (const InvalidInputError& e) {  // name the flag, not the JSON field
    std::string msg = e.what();
    for (const auto& [field, kind] : fields) {
      const std::string json_name = t + " options." + field;
      if (msg.rfind(json_name, 0) == 0) throw InvalidInputError("--" + flag_of(field) + msg.substr(json_name.size()));
    }
    throw;
  }
}

}  // namespace transformers::cli
