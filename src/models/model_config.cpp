#include "core/files.hpp"
#include "core/json_fields.hpp"
#include "transformers/error.hpp"
#include "transformers/model_folder.hpp"

namespace transformers {

using core::Json;

ModelConfig ModelConfig::from_file(const std::filesystem::path& config_json) {
  return from_json(core::read_text_file(config_json, "config.json"), config_json.string());
}

ModelConfig ModelConfig::from_json(const std::string& json_text, const std::string& origin) {
  const core::JsonSource source(origin);
  const Json j = core::parse_json(json_text, source);  // an object, or an error naming the file
  const core::Fields f(j, source, "");
  ModelConfig c;
  c.model_type = f.optional_string("model_type").value_or("");
  if (auto it = j.find("architectures"); it != j.end() && !it->is_null()) {
    if (!it->is_array()) f.fail("architectures", "must be an array of strings");
    for (const auto& a : *it) {
      if (!a.is_string()) f.fail("architectures", "must be an array of strings");
      c.architectures.push_back(a.get<std::string>());
    }
  }
  if (auto it = j.find("id2label"); it != j.end() && !it->is_null()) {
    if (!it->is_object()) f.fail("id2label", "must be an object {\"0\": \"LABEL\"}");
    for (const auto& [k, v] : it->items()) {
      size_t used = 0;
      int id = -1;
      try {
        id = std::stoi(k, &used);
      } catch (...) {
      }
      if (used != k.size() || id < 0) {
        f.fail("id2label", "has key '" + k + "', expected a non-negative integer");
      }
      if (!v.is_string()) f.fail("id2label." + k, "must be a string");
      c.id2label[id] = v.get<std::string>();
    }
  }
  if (auto it = j.find("label2id"); it != j.end() && !it->is_null()) {
    if (!it->is_object()) f.fail("label2id", "must be an object {\"LABEL\": 0}");
    for (const auto& [k, v] : it->items()) {
      if (!v.is_number_integer()) f.fail("label2id." + k, "must be an integer");
      c.label2id[k] = v.get<int>();
    }
  }
  c.problem_type = f.optional_string("problem_type");
  c.num_labels = !c.id2label.empty() ? static_cast<int>(c.id2label.size())
                                     : static_cast<int>(f.optional_integer("num_labels").value_or(0));
  auto int_field = [&](const char* name, const char* alt = nullptr) {
    auto v = f.optional_integer(name);
    if (!v && alt) v = f.optional_integer(alt);
    return static_cast<int>(v.value_or(0));
  };
  // DistilBERT spells the sizes differently (dim, n_layers, n_heads, hidden_dim).
  c.hidden_size = int_field("hidden_size", "dim");
  c.num_hidden_layers = int_field("num_hidden_layers", "n_layers");
  c.num_attention_heads = int_field("num_attention_heads", "n_heads");
  c.intermediate_size = int_field("intermediate_size", "hidden_dim");
  c.vocab_size = int_field("vocab_size");
  c.max_position_embeddings = int_field("max_position_embeddings", "n_positions");  // GPT-2 says n_positions
  if (auto it = j.find("transformers.js_config"); it != j.end() && !it->is_null()) {
    if (!it->is_object()) f.fail("transformers.js_config", "must be an object");
    const auto known = [&](const core::Json& v, const std::string& field) {
      if (!v.is_string()) f.fail(field, "must be a dtype string");
      const std::string d = v.get<std::string>();
      if (d == "auto") return d;
      for (const auto& k : known_dtypes())
        if (k == d) return d;
      f.fail(field, "is '" + d + "', not a dtype Transformers.js knows (auto, " +
                           [] {
                             std::string all;
                             for (const auto& k : known_dtypes()) all += (all.empty() ? "" : ", ") + k;
                             return all;
                           }() + ")");
    };
    if (auto d = it->find("dtype"); d != it->end() && !d->is_null()) {
      if (d->is_object()) {
        for (const auto& [file, v] : d->items())
          c.transformers_js_dtype_by_file[file] = known(v, "transformers.js_config.dtype." + file);
      } else {
        c.transformers_js_dtype = known(*d, "transformers.js_config.dtype");
      }
    }
  }
  return c;
}

std::string ModelConfig::label(int index) const {
  auto it = id2label.find(index);
  return it != id2label.end() ? it->second : "LABEL_" + std::to_string(index);
}

}  // namespace transformers
