#include "pipelines/generation_pipeline.hpp"

#include "core/files.hpp"
#include "generation/text_streamer.hpp"
#include "pipelines/task_registry.hpp"
#include "transformers/error.hpp"

namespace transformers::pipelines {

namespace {
nlohmann::json read_json_object(const std::filesystem::path& file) {
  if (!std::filesystem::exists(file)) return nlohmann::json::object();
  nlohmann::json j = nlohmann::json::parse(core::read_text_file(file, "JSON file"), nullptr, false);
  if (!j.is_object()) throw ModelLoadError(file.string() + " is not a JSON object");
  return j;
}
}  // namespace

GenerationPipeline::GenerationPipeline(std::string task, const std::filesystem::path& model,
                                       const PipelineOptions& options, bool encoder_decoder)
    : Impl(std::move(task), model, options, encoder_decoder ? "encoder_model" : "") {
  try {
    ModelFolder folder(model);
    if (encoder_decoder) {
      ModelFileRequest request;
      request.dtype = options.dtype;
      request.model_file_name = "decoder_model_merged";
      decoder_file = folder.onnx_file(request);
      SessionOptions session_options = options.session;
      session_options.memory_owner = memory_owner;
      decoder_session.emplace(decoder_file, session_options);
    }
    model_json = read_json_object(model / "config.json");
    tokenizer_config = read_json_object(folder.tokenizer_config_json());
    this->model = generation::describe_generation_model(encoder_decoder ? &*session : nullptr,
                                                        encoder_decoder ? *decoder_session : *session, config,
                                                        model / "config.json");
    model_config = generation::model_generation_config(model / "config.json", model / "generation_config.json");
  } catch (...) {
    release();
    throw;
  }
}

generation::GenerationConfig GenerationPipeline::call_config(const GenerationOptions& options) const {
  return generation::with_call_options(model_config, options, 256);
}

GenerationPipeline::Generated GenerationPipeline::generate(const generation::TokenBatch& batch,
                                                           const generation::GenerationConfig& config,
                                                           const std::vector<size_t>& search_from) {
  const StreamCallback* stream = current_stream();
  const size_t rows = batch.batch;
  const bool beams = config.num_beams > 1 && !(config.do_sample && config.temperature != 0.0);
  if (beams && stream)
    throw InvalidInputError(task + ": streaming with beam search is not supported (the best beam is known only at the end)");
  if (beams && !config.stop_strings.empty())
    throw InvalidInputError(task + ": stop_strings with beam search is not supported");
  std::vector<generation::TextStreamer> streamers;
  if (stream)
    for (size_t r = 0; r < rows; ++r) streamers.emplace_back(*tokenizer);
  // Stop strings: a row is done once its new text holds one; generation ends when every row is done
  // (by a stop string, or by its last token being an eos, as Transformers.js decides for the others).
  std::vector<std::vector<int64_t>> generated(rows);
  std::vector<bool> stopped(rows, false);
  bool user_stopped = false;
  const bool watch_stops = !config.stop_strings.empty();
  auto on_step = [&](std::span<const int64_t> tokens) {
    bool all_done = watch_stops;
    for (size_t r = 0; r < rows; ++r) {
      generated[r].push_back(tokens[r]);
      if (stream && !stopped[r]) {
        std::string piece = streamers[r].put(tokens[r]);
        if (!piece.empty() && !(*stream)(StreamChunk{r, std::move(piece), false})) user_stopped = true;
      }
      if (watch_stops) {
        if (!stopped[r]) {
          const std::string text = tokenizer->decode(generated[r], true);
          for (const auto& s : config.stop_strings) stopped[r] = stopped[r] || text.find(s) != std::string::npos;
        }
        bool eos = false;
        if (config.eos_token_id)
          for (int64_t e : *config.eos_token_id) eos = eos || tokens[r] == e;
        all_done = all_done && (stopped[r] || eos);
      }
    }
    return !user_stopped && !all_done;
  };
  Generated g;
  g.output = generation::generate(model, batch, config, memory_owner, on_step);
  if (stream)
    for (size_t r = 0; r < rows; ++r) (*stream)(StreamChunk{r, stopped[r] ? "" : streamers[r].end(), true});
  g.texts.reserve(g.output.sequences.size());
  const size_t per_input = std::max<size_t>(1, g.output.sequences.size() / std::max<size_t>(1, rows));
  for (size_t s = 0; s < g.output.sequences.size(); ++s) {
    const size_t r = s / per_input;
    std::string text = tokenizer->decode(g.output.sequences[s], true);
    if (watch_stops) {  // the text ends before the first stop string of the new text
      const size_t from = r < search_from.size() ? std::min(search_from[r], text.size()) : 0;
      size_t cut = std::string::npos;
      for (const auto& s : config.stop_strings) cut = std::min(cut, text.find(s, from));
      if (cut != std::string::npos) text.resize(cut);
    }
    g.texts.push_back(std::move(text));
  }
  g.per_input = per_input;
  return g;
}

size_t utf16_length(std::string_view text) {
  size_t units = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if ((c & 0xC0) == 0x80) continue;
    units += c >= 0xF0 ? 2 : 1;
  }
  return units;
}

size_t utf16_offset(std::string_view text, size_t units) {
  size_t seen = 0, i = 0;
  while (i < text.size() && seen < units) {
    const auto c = static_cast<unsigned char>(text[i]);
    seen += c >= 0xF0 ? 2 : 1;
    ++i;
    while (i < text.size() && (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) ++i;
  }
  return i;
}

}  // namespace transformers::pipelines
