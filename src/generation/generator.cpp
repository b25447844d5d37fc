#include "generation/generator.hpp"

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>
#include <random>
#include <tuple>

#include "core/files.hpp"
#include "generation/logits_processors.hpp"
#include "generation/sampler.hpp"
#include "transformers/error.hpp"

namespace transformers::generation {

namespace {

using Clock = std::chrono::steady_clock;
using Json = nlohmann::json;

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

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

// Transformers.js' position ids: cumsum(mask) - 1, and 1 where the mask is 0.
int64_t position_at(const int64_t* mask_row, size_t k, int64_t& running) {
  running += mask_row[k];
  return mask_row[k] == 0 ? 1 : running - 1;
}

}  // namespace

GenerationModel describe_generation_model(const Session* encoder, const Session& decoder, const ModelConfig& config,
                                          const std::filesystem::path& config_json) {
  GenerationModel m;
  m.encoder = encoder;
  m.decoder = &decoder;
  m.encoder_decoder = encoder != nullptr;
  const std::string where = decoder.path().string();
  Json c = Json::parse(core::read_text_file(config_json, "config.json"), nullptr, false);
  if (!c.is_object()) c = Json::object();
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

GenerationOutput generate(const GenerationModel& model, const TokenBatch& input, GenerationConfig config,
                          uint64_t owner, const StepCallback& on_step) {
  const auto start = Clock::now();
  const size_t batch = input.batch;
  if (batch == 0) throw InvalidInputError("generation: no input rows");
  if (config.temperature == 0.0 && config.do_sample) config.do_sample = false;  // Transformers.js: greedy
  if (!config.do_sample && config.num_beams <= 1 && config.num_return_sequences > 1)
    throw InvalidInputError("num_return_sequences has to be 1 when doing greedy search, but is " +
                            std::to_string(config.num_return_sequences) + ".");
  if (config.num_beams > 1 && !config.do_sample)
    throw InvalidInputError("num_beams > 1: beam search is not implemented yet (Transformers.js 4.3.1 has none either)");

  GenerationOutput out;
  // Decoder rows: the prompt (decoder-only) or the decoder start token (encoder-decoder).
  std::vector<std::vector<int64_t>>& ids = out.sequences;
  ids.resize(batch);
  if (model.encoder_decoder) {
    const auto start_token = config.decoder_start_token_id ? config.decoder_start_token_id : config.bos_token_id;
    if (!start_token)
      throw ModelLoadError("generation: neither decoder_start_token_id nor bos_token_id is set (config.json, "
                           "generation_config.json or the call)");
    for (auto& row : ids) row = {*start_token};
  } else {
    if (input.length == 0)
      throw InvalidInputError("text-generation: the prompt has no tokens (an empty prompt with a tokenizer that adds "
                              "no BOS token gives the model nothing to continue)");
    for (size_t r = 0; r < batch; ++r)
      ids[r].assign(input.ids.begin() + static_cast<std::ptrdiff_t>(r * input.length),
                    input.ids.begin() + static_cast<std::ptrdiff_t>((r + 1) * input.length));
  }
  const size_t input_length = ids[0].size();
  out.prompt_length = input_length;
  if (config.max_new_tokens) config.max_length = static_cast<int64_t>(input_length) + *config.max_new_tokens;
  // Transformers.js checks the stopping criteria after a step, so a max_length already reached still gives one token.
  const size_t max_length = std::max<size_t>(static_cast<size_t>(*config.max_length), input_length + 1);
  if (model.position_limit && max_length > model.position_limit)
    throw InvalidInputError("generation would reach position " + std::to_string(max_length) + " (" +
                            std::to_string(input_length) + " input tokens + up to " +
                            std::to_string(max_length - input_length) + " new), but the model has " +
                            std::to_string(model.position_limit) +
                            " positions (config.json max_position_embeddings / n_positions): lower max_new_tokens");
  for (int64_t id : input.ids)
    if (id < 0 || static_cast<size_t>(id) >= model.vocab)
      throw InvalidInputError("generation: input token id " + std::to_string(id) + " is outside the model's vocabulary of " +
                              std::to_string(model.vocab));
  const LogitsProcessors processors(config, input_length, model.vocab);
  std::optional<PyRandom> rng;
  if (config.do_sample) rng.emplace(config.seed ? *config.seed : std::random_device{}());

  // Encoder-decoder: the encoder runs once.
  std::vector<OutputTensor> encoder_out;
  std::vector<int64_t> zeros;
  if (model.encoder_decoder) {
    const std::vector<int64_t> dims = {static_cast<int64_t>(batch), static_cast<int64_t>(input.length)};
    const size_t bytes = input.ids.size() * sizeof(int64_t);
    std::vector<InputTensor> in = {{"input_ids", ElementType::int64, dims, input.ids.data(), bytes}};
    if (model.encoder->has_input("attention_mask"))
      in.push_back({"attention_mask", ElementType::int64, dims, input.mask.data(), bytes});
    if (model.encoder_token_type_ids) {
      zeros.assign(input.ids.size(), 0);
      in.push_back({"token_type_ids", ElementType::int64, dims, zeros.data(), bytes});
    }
    encoder_out = model.encoder->run(in, {"last_hidden_state"});
  }

  // Buffers of the whole call, from our allocator (charged to the pipeline).
  KvCache cache(model.self_cache, batch, owner, max_length);
  KvCache cross(model.cross_cache, batch, owner, input.length);
  // Sized once for the longest the call may reach: the budget refuses a call that cannot fit before it
  // starts, nothing is copied to grow, and pages never written (an early eos) never become resident.
  cache.reserve(max_length);
  const size_t vocab = model.vocab;
  // Decoder-only attention mask [batch, past + new] and positions, rebuilt in place each step.
  std::vector<int64_t> mask, step_ids, positions;
  mask.reserve(batch * (max_length + 1));
  if (!model.encoder_decoder) mask = input.mask;
  std::vector<size_t> mask_length(1, model.encoder_decoder ? 0 : input.length);
  const uint8_t cache_branch_false = 0, cache_branch_true = 1;
  const int64_t logits_to_keep = 1;
  std::vector<int64_t> new_tokens(batch);
  OwnedBuffer prefill_logits, step_logits;

  for (size_t step = 0;; ++step) {
    const auto step_start = Clock::now();
    const size_t past = cache.length();
    const size_t seq = step == 0 ? (model.encoder_decoder ? 1 : input.length) : 1;
    // This step's input ids.
    step_ids.resize(batch * seq);
    for (size_t r = 0; r < batch; ++r)
      std::copy(ids[r].end() - static_cast<std::ptrdiff_t>(seq), ids[r].end(), step_ids.begin() + static_cast<std::ptrdiff_t>(r * seq));
    const std::vector<int64_t> ids_dims = {static_cast<int64_t>(batch), static_cast<int64_t>(seq)};
    std::vector<InputTensor> inputs;
    std::vector<OutputBuffer> outputs;
    inputs.push_back({"input_ids", ElementType::int64, ids_dims, step_ids.data(), step_ids.size() * sizeof(int64_t)});
    const size_t total = past + seq;
    if (!model.encoder_decoder) {
      if (step > 0) {  // append a 1 to every row of the [batch, total - 1] mask
        mask.resize(batch * total);
        for (size_t r = batch; r-- > 0;) {
          std::memmove(&mask[r * total], &mask[r * (total - 1)], (total - 1) * sizeof(int64_t));
          mask[r * total + total - 1] = 1;
        }
      }
      if (model.attention_mask)
        inputs.push_back({"attention_mask", ElementType::int64, {static_cast<int64_t>(batch), static_cast<int64_t>(total)},
                          mask.data(), mask.size() * sizeof(int64_t)});
      if (model.position_ids) {
        positions.resize(batch * seq);
        for (size_t r = 0; r < batch; ++r) {
          int64_t running = 0;
          for (size_t k = 0; k < total; ++k) {
            const int64_t p = position_at(&mask[r * total], k, running);
            if (k >= total - seq) positions[r * seq + (k - (total - seq))] = p;
          }
        }
        inputs.push_back({"position_ids", ElementType::int64, ids_dims, positions.data(), positions.size() * sizeof(int64_t)});
      }
    } else {
      const OutputTensor& hidden = encoder_out[0];
      inputs.push_back({"encoder_hidden_states", ElementType::float32, hidden.dims, hidden.data.data(),
                        hidden.data.size() * sizeof(float)});
      if (model.encoder_attention_mask)
        inputs.push_back({"encoder_attention_mask", ElementType::int64,
                          {static_cast<int64_t>(batch), static_cast<int64_t>(input.length)}, input.mask.data(),
                          input.mask.size() * sizeof(int64_t)});
      if (model.use_cache_branch)
        inputs.push_back({"use_cache_branch", ElementType::boolean, {1}, step == 0 ? &cache_branch_false : &cache_branch_true, 1});
    }
    if (model.num_logits_to_keep) inputs.push_back({"num_logits_to_keep", ElementType::int64, {}, &logits_to_keep, sizeof(int64_t)});
    cache.bind(inputs, outputs, seq);
    if (model.encoder_decoder) {
      if (step == 0) {
        cross.bind(inputs, outputs, input.length);  // empty past in; the encoder's keys/values out
      } else {
        std::vector<OutputBuffer> unused;  // the with-past branch's encoder presents are not needed
        cross.bind(inputs, unused, 0);
      }
    }
    // Logits: [batch, seq, vocab] (the prefill's is the largest; later steps reuse a one-position buffer).
    const size_t logit_positions = model.num_logits_to_keep ? 1 : seq;
    OwnedBuffer& logits_buffer = step == 0 ? prefill_logits : step_logits;
    if (!logits_buffer.data()) logits_buffer = OwnedBuffer(batch * logit_positions * vocab * sizeof(float), owner, "logits buffer");
    outputs.push_back({"logits", ElementType::float32,
                       {static_cast<int64_t>(batch), static_cast<int64_t>(logit_positions), static_cast<int64_t>(vocab)},
                       logits_buffer.data(), logits_buffer.bytes()});
    model.decoder->run_into(inputs, outputs);
    if (step == 1) prefill_logits = OwnedBuffer();  // the prefill's positions are not needed again
    cache.advance(seq);
    if (model.encoder_decoder && step == 0) cross.advance(input.length);

    // Choose each row's token from its last position.
    float* logits = logits_buffer.as<float>();
    for (size_t r = 0; r < batch; ++r) {
      const std::span<float> row(logits + (r * logit_positions + logit_positions - 1) * vocab, vocab);
      processors.apply(ids[r], row);
      if (config.do_sample) {
        const TopK top = top_k_softmax(row, static_cast<size_t>(config.top_k));
        size_t chosen = 0;
        // Transformers.js draws num_beams samples per row and keeps the first.
        for (int64_t b = 0; b < std::max<int64_t>(1, config.num_beams); ++b) {
          const size_t k = weighted_index(top.probs, *rng);
          if (b == 0) chosen = k;
        }
        new_tokens[r] = top.ids[chosen];
      } else {
        new_tokens[r] = argmax(row);
      }
      ids[r].push_back(new_tokens[r]);
    }
    if (step == 0) out.stats.prefill_ms = ms_since(step_start);
    else out.stats.step_ms.push_back(ms_since(step_start));
    out.stats.steps = step + 1;

    if (on_step && !on_step(new_tokens)) {
      out.stats.stopped = true;
      break;
    }
    // Transformers.js: stop when every row is done at once (max length reached, or its last token an eos).
    bool all_done = true;
    for (size_t r = 0; r < batch && all_done; ++r) {
      bool done = ids[r].size() >= max_length;
      if (config.eos_token_id)
        for (int64_t eos : *config.eos_token_id) done = done || ids[r].back() == eos;
      all_done = done;
    }
    if (all_done) break;
    if (config.max_time && ms_since(start) >= *config.max_time * 1000.0) {
      out.stats.timed_out = true;
      break;
    }
  }
  out.stats.cache_bytes = cache.bytes() + cross.bytes();
  out.stats.cache_bytes_per_token = cache.bytes_per_token();
  out.stats.total_ms = ms_since(start);
  return out;
}

}  // namespace transformers::generation
