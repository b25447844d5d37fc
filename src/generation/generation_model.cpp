// What a generating model's graphs take, checked at load: the cache tensors and their geometry, the optional
// inputs, the vocabulary, a learned position table's limit.
#include <nlohmann/json.hpp>
#include <tuple>

#include "generation/generator.hpp"
#include "transformers/error.hpp"

namespace transformers::generation {

namespace {

using Json = nlohmann::json;

// Heads and head size of the cache as Transformers.js' getNormalizedConfig derives them per model_type
// (the fields it reads; a model type it maps alike is listed with its family).
struct ConfigGeometry {
  int64_t heads = 0, head_dim = 0;                  // decoder self-attention
  int64_t cross_heads = 0, cross_head_dim = 0;      // encoder-decoder cross-attention
};
ConfigGeometry config_geometry(const Json& c, const std::string& type) {
  auto get = [&](const char* key) -> int64_t {
    return c.contains(key) && c[key].is_number_integer() ? c[key].get<int64_t>() : 0;
  };
  auto split = [](int64_t hidden, int64_t heads) { return heads > 0 ? hidden / heads : 0; };
  ConfigGeometry g;
  if (type == "gpt2" || type == "gptj" || type == "codegen" || type == "gpt_bigcode") {
    g.heads = get("n_head");
    g.head_dim = split(get("n_embd"), g.heads);
  } else if (type == "t5" || type == "mt5" || type == "longt5") {
    g.heads = g.cross_heads = get("num_heads");
    g.head_dim = g.cross_head_dim = get("d_kv");
  } else if (type == "bart" || type == "mbart" || type == "marian" || type == "m2m_100" || type == "blenderbot" ||
             type == "blenderbot-small" || type == "nllb") {
    g.heads = get("decoder_attention_heads");
    g.head_dim = split(get("d_model"), g.heads);
    g.cross_heads = get("encoder_attention_heads");
    g.cross_head_dim = split(get("d_model"), g.cross_heads);
  } else {  // llama, mistral, qwen2, qwen3, phi3, gemma, ... : key/value heads and head_dim
    const int64_t attention_heads = get("num_attention_heads");
    g.heads = get("num_key_value_heads") ? get("num_key_value_heads") : attention_heads;
    g.head_dim = get("head_dim") ? get("head_dim") : split(get("hidden_size"), attention_heads);
  }
  return g;
}

bool learned_positions(const std::string& type) {
  for (const char* t : {"gpt2", "gpt_bigcode", "gpt_neo", "opt", "bart", "mbart", "marian", "blenderbot",
                        "blenderbot-small", "m2m_100", "nllb"})
    if (type == t) return true;
  return false;
}

const TensorInfo* find_input(const Session& s, const std::string& name) {
  for (const auto& i : s.inputs())
    if (i.name == name) return &i;
  return nullptr;
}

// The graph's cache tensors with a given suffix set, in layer order; their heads and head size from the
// graph's static dims, else from config.json. ModelLoadError when they disagree or are unknown.
std::vector<CacheTensorSpec> cache_specs(const Session& s, const std::string& part, int64_t heads, int64_t head_dim,
                                         const std::string& where) {
  std::vector<CacheTensorSpec> out;
  for (size_t layer = 0;; ++layer) {
    bool found = false;
    for (const char* kv : {"key", "value"}) {
      const std::string past = "past_key_values." + std::to_string(layer) + part + "." + kv;
      const TensorInfo* info = find_input(s, past);
      if (!info) continue;
      found = true;
      if (info->dims.size() != 4 || info->type != ElementType::float32)
        throw ModelLoadError(where + ": input '" + past + "' must be a float32 [batch, heads, length, head_dim] tensor" +
                             (info->type == ElementType::float16 ? " (float16 caches are not supported yet)" : ""));
      CacheTensorSpec spec{past, "present." + std::to_string(layer) + part + "." + kv, heads, head_dim};
      for (auto [dim, value, what] : {std::tuple{info->dims[1], &spec.heads, "heads"}, std::tuple{info->dims[3], &spec.head_dim, "head_dim"}}) {
        if (dim > 0 && *value > 0 && dim != *value)
          throw ModelLoadError(where + ": input '" + past + "' has " + std::to_string(dim) + " " + what +
                               ", config.json gives " + std::to_string(*value));
        if (dim > 0) *value = dim;
        if (*value <= 0)
          throw ModelLoadError(where + ": the " + what + " of '" + past + "' are neither in the graph nor derivable from config.json");
      }
      bool has_output = false;
      for (const auto& o : s.outputs()) has_output = has_output || o.name == spec.present;
      if (!has_output) throw ModelLoadError(where + ": the graph takes '" + past + "' but gives no '" + spec.present + "'");
      out.push_back(std::move(spec));
    }
    if (!found) break;
  }
  return out;
}


}  // namespace

GenerationModel describe_generation_model(const Session* encoder, const Session& decoder, const ModelConfig& config,
                                          const nlohmann::json& c) {
  GenerationModel m;
  m.encoder = encoder;
  m.decoder = &decoder;
  m.encoder_decoder = encoder != nullptr;
  const std::string where = decoder.path().string();
  const ConfigGeometry g = config_geometry(c, config.model_type);
  if (m.encoder_decoder) {
    m.self_cache = cache_specs(decoder, ".decoder", g.heads, g.head_dim, where);
    m.cross_cache = cache_specs(decoder, ".encoder", g.cross_heads, g.cross_head_dim, where);
    if (m.cross_cache.size() != m.self_cache.size())
      throw ModelLoadError(where + ": " + std::to_string(m.self_cache.size()) + " decoder but " +
                           std::to_string(m.cross_cache.size()) + " encoder past inputs");
    for (const char* required : {"input_ids", "encoder_hidden_states"})
      if (!decoder.has_input(required))
        throw ModelLoadError(where + ": the decoder has no '" + required + "' input");
    m.encoder_attention_mask = decoder.has_input("encoder_attention_mask");
    m.encoder_token_type_ids = encoder->has_input("token_type_ids");
    bool hidden = false;
    for (const auto& o : encoder->outputs()) hidden = hidden || o.name == "last_hidden_state";
    if (!hidden) throw ModelLoadError(encoder->path().string() + ": the encoder gives no 'last_hidden_state'");
  } else {
    m.self_cache = cache_specs(decoder, "", g.heads, g.head_dim, where);
    if (!decoder.has_input("input_ids")) throw ModelLoadError(where + ": the decoder has no 'input_ids' input");
  }
  if (m.self_cache.empty())
    throw ModelLoadError(where + ": the decoder takes no past_key_values inputs; generation needs a graph exported "
                         "with past (Optimum's model.onnx / decoder_model_merged.onnx), not one without cache");
  m.position_ids = decoder.has_input("position_ids");
  m.attention_mask = decoder.has_input("attention_mask");
  m.use_cache_branch = decoder.has_input("use_cache_branch");
  m.num_logits_to_keep = decoder.has_input("num_logits_to_keep");
  const TensorInfo* logits = nullptr;
  for (const auto& o : decoder.outputs())
    if (o.name == "logits") logits = &o;
  if (!logits) throw ModelLoadError(where + ": the decoder gives no 'logits' output");
  if (logits->type != ElementType::float32)
    throw ModelLoadError(where + ": 'logits' is " + element_type_name(logits->type) + "; float32 logits are supported");
  m.vocab = logits->dims.size() == 3 && logits->dims[2] > 0 ? static_cast<size_t>(logits->dims[2])
                                                            : static_cast<size_t>(std::max(config.vocab_size, 0));
  if (m.vocab == 0) throw ModelLoadError(where + ": the vocabulary size is neither in the graph nor in config.json");
  if (learned_positions(config.model_type)) {
    int64_t limit = config.max_position_embeddings;
    if (c.contains("n_positions") && c["n_positions"].is_number_integer()) limit = c["n_positions"].get<int64_t>();
    m.position_limit = limit > 0 ? static_cast<size_t>(limit) : 0;
  }
  return m;
}

}  // namespace transformers::generation
