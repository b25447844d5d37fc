// OpenAI's routes: GET /v1/models, POST /v1/embeddings, POST /v1/completions and POST /v1/chat/completions
// (with "stream": true as server-sent events), their request fields mapped onto the pipelines' options and
// their response shapes. Sampling follows the model's generation_config.json unless the request sets
// temperature (> 0 samples, 0 is greedy): the same answers as Transformers.js for the same settings.
#include <atomic>
#include <chrono>
#include <memory>

#include "server/admission.hpp"
#include "server/api_error.hpp"
#include "server/metrics.hpp"
#include "server/routes.hpp"
#include "server/served_models.hpp"

namespace transformers::server {

namespace {

using nlohmann::json;

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string next_id(const char* prefix) {
  static std::atomic<uint64_t> counter{0};
  return std::string(prefix) + std::to_string(unix_now()) + "-" + std::to_string(++counter);
}

std::string base64(const std::vector<float>& values) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const auto* bytes = reinterpret_cast<const unsigned char*>(values.data());  // little-endian float32, as OpenAI sends
  const size_t n = values.size() * sizeof(float);
  std::string out;
  out.reserve((n + 2) / 3 * 4);
  for (size_t i = 0; i < n; i += 3) {
    const uint32_t b = (uint32_t(bytes[i]) << 16) | (i + 1 < n ? uint32_t(bytes[i + 1]) << 8 : 0) | (i + 2 < n ? bytes[i + 2] : 0);
    out += kAlphabet[(b >> 18) & 63];
    out += kAlphabet[(b >> 12) & 63];
    out += i + 1 < n ? kAlphabet[(b >> 6) & 63] : '=';
    out += i + 2 < n ? kAlphabet[b & 63] : '=';
  }
  return out;
}

std::string required_model(const json& body) {
  auto it = body.find("model");
  if (it == body.end() || !it->is_string()) throw ApiError(400, "invalid_input", "\"model\" (a string) is required");
  return it->get<std::string>();
}

// OpenAI sampling fields as the pipelines' generation options (Transformers.js' field names).
json generation_fields(const json& body, const char* max_tokens_field, std::optional<int> default_max_tokens) {
  json o = json::object();
  for (const char* unsupported : {"logprobs", "top_logprobs", "tools", "functions", "response_format", "logit_bias", "suffix"}) {
    if (body.contains(unsupported) && !body[unsupported].is_null() && body[unsupported] != false) {
      throw ApiError(400, "invalid_input", std::string("\"") + unsupported + "\" is not supported");
    }
  }
  for (const char* penalty : {"presence_penalty", "frequency_penalty"}) {
    if (body.contains(penalty) && body[penalty].is_number() && body[penalty].get<double>() != 0.0) {
      throw ApiError(400, "invalid_input", std::string("\"") + penalty + "\" is not supported (use repetition_penalty)");
    }
  }
  const json* max_tokens = nullptr;
  for (const char* f : {max_tokens_field, "max_tokens"})
    if (body.contains(f) && !body[f].is_null()) max_tokens = &body[f];
  if (max_tokens) o["max_new_tokens"] = *max_tokens;
  else if (default_max_tokens) o["max_new_tokens"] = *default_max_tokens;
  if (body.contains("temperature") && !body["temperature"].is_null()) {
    if (!body["temperature"].is_number()) throw ApiError(400, "invalid_input", "\"temperature\" must be a number");
    const double t = body["temperature"].get<double>();
    if (t > 0) {
      o["do_sample"] = true;
      o["temperature"] = t;
    } else {
      o["do_sample"] = false;
    }
  }
  for (const char* same : {"top_p", "seed", "top_k", "repetition_penalty", "min_tokens"}) {
    if (body.contains(same) && !body[same].is_null()) o[std::string(same) == "min_tokens" ? "min_new_tokens" : same] = body[same];
  }
  if (body.contains("n") && !body["n"].is_null()) o["num_return_sequences"] = body["n"];
  if (body.contains("stop") && !body["stop"].is_null()) {
    const json& s = body["stop"];
    o["stop_strings"] = s.is_string() ? json::array({s}) : s;
  }
  return o;
}

const char* finish_reason(const Output& out, const CallOptions& options) {
  const auto& stats = out.generation_stats();
  if (!stats) return "stop";
  if (stats->stopped) return "stop";
  if (const auto* o = std::get_if<TextGenerationOptions>(&options)) {
    const auto& max_new = o->generation.max_new_tokens;  // unset / cleared / a value
    if (max_new && *max_new && stats->steps >= static_cast<size_t>(**max_new)) return "length";
  }
  return stats->timed_out ? "length" : "stop";
}

json usage_of(const Output& out) {
  const auto& stats = out.generation_stats();
  const size_t prompt = stats ? stats->prompt_tokens : 0, completion = stats ? stats->steps : 0;
  return {{"prompt_tokens", prompt}, {"completion_tokens", completion}, {"total_tokens", prompt + completion}};
}

std::string sse(const json& event) { return "data: " + event.dump(-1, ' ', false, json::error_handler_t::replace) + "\n\n"; }

// A generation answered as server-sent events: one event per piece of text, a last one with the finish
// reason, then [DONE]. The admission ticket is held until the stream ends.
HttpResponse stream_generation(RouteContext& ctx, std::string model, PipelineInputs inputs, CallOptions options, bool chat) {
  auto ticket = ctx.ticket;
  ServedModels* models = &ctx.models;
  Metrics* metrics = &ctx.metrics;
  HttpResponse res;
  res.content_type = "text/event-stream";
  res.stream = [=](ChunkSink& sink) mutable {
    const std::string id = next_id(chat ? "chatcmpl-" : "cmpl-");
    const int64_t created = unix_now();
    auto event = [&](json choice) {
      return sse({{"id", id}, {"object", chat ? "chat.completion.chunk" : "text_completion"}, {"created", created},
                  {"model", model}, {"choices", json::array({std::move(choice)})}});
    };
    if (chat && !sink.write(event({{"index", 0}, {"delta", {{"role", "assistant"}, {"content", ""}}}, {"finish_reason", nullptr}}))) return;
    try {
      const Output out = models->call(model, inputs, false, options, [&](const StreamChunk& c) {
        if (c.text.empty()) return true;
        json choice = chat ? json{{"index", 0}, {"delta", {{"content", c.text}}}, {"finish_reason", nullptr}}
                           : json{{"index", 0}, {"text", c.text}, {"logprobs", nullptr}, {"finish_reason", nullptr}};
        return sink.write(event(std::move(choice)));
      });
      if (out.generation_stats()) metrics->add_tokens(model, out.generation_stats()->prompt_tokens, out.generation_stats()->steps);
      json last = chat ? json{{"index", 0}, {"delta", json::object()}, {"finish_reason", finish_reason(out, options)}}
                       : json{{"index", 0}, {"text", ""}, {"logprobs", nullptr}, {"finish_reason", finish_reason(out, options)}};
      sink.write(event(std::move(last)));
    } catch (const std::exception& e) {
      const ApiError err = api_error_of(e);
      sink.write(sse({{"error", {{"code", err.code()}, {"message", err.what()}}}}));
    }
    ticket.reset();  // the slot is free before the client reads the end
    sink.write("data: [DONE]\n\n");
  };
  return res;
}

}  // namespace

HttpResponse openai_models(RouteContext& ctx, const HttpRequest&) {
  json data = json::array();
  for (const auto& i : ctx.models.infos()) {
    data.push_back({{"id", i.spec.name}, {"object", "model"}, {"created", 0}, {"owned_by", "transformers-cpp"},
                    {"task", i.spec.task}, {"loaded", i.loaded}});
  }
  return json_response({{"object", "list"}, {"data", data}});
}

HttpResponse openai_embeddings(RouteContext& ctx, const HttpRequest& req) {
  const json body = json_body(req);
  const ModelSpec& spec = model_for(ctx, required_model(body), "feature-extraction");
  const json& input = body.value("input", json());
  if (input.is_array() && !input.empty() && (input[0].is_number() || input[0].is_array())) {
    throw ApiError(400, "invalid_input", "\"input\" as token ids is not supported: send text");
  }
  const auto texts = texts_of(input, "input", ctx.options);
  const std::string format = body.value("encoding_format", "float");
  if (format != "float" && format != "base64") {
    throw ApiError(400, "invalid_input", "\"encoding_format\" must be \"float\" or \"base64\", got \"" + format + "\"");
  }
  const auto rows = embeddings_of(ctx.models.call_each(spec.name, texts, {}, embedding_options(spec, true)));
  if (body.contains("dimensions") && !body["dimensions"].is_null()) {
    if (!body["dimensions"].is_number_integer() || rows.empty() || body["dimensions"].get<int64_t>() != int64_t(rows[0].size())) {
      throw ApiError(400, "invalid_input", "\"dimensions\": this model's embeddings have " +
                                               std::to_string(rows.empty() ? 0 : rows[0].size()) + " and cannot be shortened");
    }
  }
  size_t tokens = 0;
  for (size_t n : ctx.models.token_counts(spec.name, texts)) tokens += n;
  ctx.metrics.add_tokens(spec.name, tokens, 0);
  json data = json::array();
  for (size_t i = 0; i < rows.size(); ++i) {
    json e = {{"object", "embedding"}, {"index", i}};
    if (format == "base64") e["embedding"] = base64(rows[i]);
    else e["embedding"] = rows[i];
    data.push_back(std::move(e));
  }
  return json_response({{"object", "list"}, {"data", data}, {"model", spec.name},
                        {"usage", {{"prompt_tokens", tokens}, {"total_tokens", tokens}}}});
}

HttpResponse openai_completions(RouteContext& ctx, const HttpRequest& req) {
  const json body = json_body(req);
  const ModelSpec& spec = model_for(ctx, required_model(body), "text-generation");
  bool batched = false;
  const auto prompts = texts_of(body.value("prompt", json()), "prompt", ctx.options, &batched);
  json fields = generation_fields(body, "max_tokens", 16);  // OpenAI's default for completions
  fields["return_full_text"] = body.value("echo", false);
  const CallOptions options = call_options_from_json(spec.task, fields.dump());
  const bool stream = body.value("stream", false);
  if (stream) {
    if (prompts.size() != 1 || fields.contains("num_return_sequences")) {
      throw ApiError(400, "invalid_input", "\"stream\" takes one prompt and no \"n\"");
    }
    return stream_generation(ctx, spec.name, PipelineInputs{prompts, {}, {}}, options, false);
  }
  json choices = json::array();
  json usage = {{"prompt_tokens", 0}, {"completion_tokens", 0}, {"total_tokens", 0}};
  for (size_t p = 0; p < prompts.size(); ++p) {
    const Output out = ctx.models.call(spec.name, PipelineInputs{{prompts[p]}, {}, {}}, false, options);
    for (const auto& g : out.get<TextGenerationResult>().inputs.at(0)) {
      choices.push_back({{"text", g.generated_text}, {"index", choices.size()}, {"logprobs", nullptr},
                         {"finish_reason", finish_reason(out, options)}});
    }
    const json u = usage_of(out);
    for (const char* k : {"prompt_tokens", "completion_tokens", "total_tokens"}) usage[k] = usage[k].get<size_t>() + u[k].get<size_t>();
  }
  ctx.metrics.add_tokens(spec.name, usage["prompt_tokens"], usage["completion_tokens"]);
  return json_response({{"id", next_id("cmpl-")}, {"object", "text_completion"}, {"created", unix_now()},
                        {"model", spec.name}, {"choices", choices}, {"usage", usage}});
}

HttpResponse openai_chat(RouteContext& ctx, const HttpRequest& req) {
  const json body = json_body(req);
  const ModelSpec& spec = model_for(ctx, required_model(body), "text-generation");
  const json& messages = body.value("messages", json());
  if (!messages.is_array() || messages.empty()) throw ApiError(400, "invalid_input", "\"messages\" must be a non-empty list");
  if (messages.size() > ctx.options.max_inputs) check_texts(std::vector<std::string>(messages.size()), ctx.options);
  Chat chat;
  for (size_t i = 0; i < messages.size(); ++i) {
    const json& m = messages[i];
    const std::string where = "\"messages\"[" + std::to_string(i) + "]";
    if (!m.is_object() || !m.contains("role") || !m["role"].is_string()) throw ApiError(400, "invalid_input", where + " needs a \"role\" string");
    std::string content;
    const json& c = m.value("content", json());
    if (c.is_string()) {
      content = c.get<std::string>();
    } else if (c.is_array()) {  // content parts: only text ones
      for (const auto& part : c) {
        if (!part.is_object() || part.value("type", "") != "text" || !part.contains("text") || !part["text"].is_string()) {
          throw ApiError(400, "invalid_input", where + ".content: only {\"type\": \"text\", \"text\": ...} parts are supported");
        }
        content += part["text"].get<std::string>();
      }
    } else if (!c.is_null()) {
      throw ApiError(400, "invalid_input", where + ".content must be a string or a list of text parts");
    }
    check_texts({content}, ctx.options);
    chat.push_back({m["role"].get<std::string>(), std::move(content)});
  }
  json fields = generation_fields(body, "max_completion_tokens", std::nullopt);
  const CallOptions options = call_options_from_json(spec.task, fields.dump());
  PipelineInputs inputs;
  inputs.chats = {chat};
  if (body.value("stream", false)) {
    if (fields.contains("num_return_sequences")) throw ApiError(400, "invalid_input", "\"stream\" takes no \"n\"");
    return stream_generation(ctx, spec.name, inputs, options, true);
  }
  const Output out = ctx.models.call(spec.name, inputs, false, options);
  json choices = json::array();
  for (const auto& g : out.get<TextGenerationResult>().inputs.at(0)) {
    choices.push_back({{"index", choices.size()}, {"message", {{"role", "assistant"}, {"content", g.generated_text}}},
                       {"logprobs", nullptr}, {"finish_reason", finish_reason(out, options)}});
  }
  const json usage = usage_of(out);
  ctx.metrics.add_tokens(spec.name, usage["prompt_tokens"], usage["completion_tokens"]);
  return json_response({{"id", next_id("chatcmpl-")}, {"object", "chat.completion"}, {"created", unix_now()},
                        {"model", spec.name}, {"choices", choices}, {"usage", usage}});
}

}  // namespace transformers::server
