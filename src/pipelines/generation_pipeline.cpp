#include "pipelines/generation_pipeline.hpp"

#include "core/files.hpp"
#include "core/json_fields.hpp"
#include "generation/text_streamer.hpp"
#include "tokenizers/jinja/jinja_strings.hpp"
#include "pipelines/task_registry.hpp"
#include "transformers/error.hpp"

namespace transformers::pipelines {

namespace {
// An optional JSON file of the folder, parsed once at load (an object, or null when absent).
nlohmann::json read_optional_object(const std::filesystem::path& file) {
  if (!std::filesystem::exists(file)) return nullptr;
  return core::parse_json(core::read_text_file(file, "JSON file"), core::JsonSource(file.string()));
}
}  // namespace

GenerationPipeline::GenerationPipeline(std::string task, const std::filesystem::path& model,
                                       const PipelineOptions& options, bool encoder_decoder)
    : Impl(std::move(task), model, options, encoder_decoder ? kEncoderModelFile : "") {
  try {
    ModelFolder folder(model);
    if (encoder_decoder) {
      ModelFileRequest request;
      request.dtype = options.dtype;
      request.model_file_name = kDecoderModelFile;
      decoder_file = folder.onnx_file(request);
      SessionOptions session_options = options.session;
      session_options.memory_owner = memory_owner;
      decoder_session.emplace(decoder_file, session_options);
    }
    // Each file is read and parsed once here, for everything generation needs of it.
    const auto config_file = model / "config.json", generation_file = model / "generation_config.json";
    model_json = core::parse_json(core::read_text_file(config_file, "config.json"), core::JsonSource(config_file.string()));
    tokenizer_config = read_optional_object(folder.tokenizer_config_json());
    if (tokenizer_config.is_null()) tokenizer_config = nlohmann::json::object();
    this->model = generation::describe_generation_model(encoder_decoder ? &*session : nullptr,
                                                        encoder_decoder ? *decoder_session : *session, config,
                                                        model_json);
    const nlohmann::json generation_json = read_optional_object(generation_file);
    model_config = generation::model_generation_config(model_json, generation_json.is_null() ? nullptr : &generation_json,
                                                       config_file.string(), generation_file.string());
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
  const bool beams = generation::uses_beam_search(config);
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
        all_done = all_done && (stopped[r] || generation::is_eos(config, tokens[r]));
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

size_t utf16_offset(std::string_view text, size_t units) {
  size_t seen = 0, i = 0;
  while (i < text.size() && seen < units) {
    char32_t cp = 0;
    i += jinja::text::decode(text, i, cp);
    seen += cp > 0xFFFF && cp != jinja::text::kInvalid ? 2 : 1;  // as jinja::text::utf16_length counts
  }
  return i;
}

}  // namespace transformers::pipelines
