// What `transformers-cpp serve` is told: the models it serves (by name; a request never names a path),
// where it listens, the memory budget, how calls run (in process or in workers), and the request limits.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "server/http_server.hpp"
#include "transformers/dynamic_batcher.hpp"
#include "transformers/pipeline.hpp"

namespace transformers::server {

struct ModelSpec {
  std::string name;  // what requests call it: [A-Za-z0-9._-], 1 to 64 characters
  std::string task;  // canonical task name
  std::filesystem::path dir;
};

enum class ModelControl {
  on_demand,  // a configured model loads at its first request; idle ones are evicted (LRU) to fit the budget
  explicit_,  // models load at start and by the repository API only; loaded ones are never evicted
};

enum class ServeWorkers { none, thread, process };

struct ServeOptions {
  std::vector<ModelSpec> models;
  std::string host = "127.0.0.1";
  uint16_t port = 8080;
  int grpc_port = -1;  // KServe v2 over gRPC; -1 = off, 0 = any free port
  uint64_t budget_bytes = 0;  // 0 = none
  ServeWorkers workers = ServeWorkers::none;
  ModelControl control = ModelControl::on_demand;
  bool preload = false;  // on-demand: load every model at start anyway (those that fit)
  size_t max_concurrent = 32;  // inference requests running at once
  size_t max_queue = 64;       // waiting beyond those; one more gets 429 at once
  std::string api_key;         // empty = no authentication
  HttpLimits http;
  size_t max_inputs = 256;             // texts in one request
  size_t max_input_bytes = 64u << 10;  // bytes of one text
  PipelineOptions pipeline;            // dtype, threads, ... for every model
  DynamicBatcherOptions batching;      // in-process embedding and classification requests
  std::chrono::milliseconds unload_wait{10'000};  // how long an unload waits for the model's requests
};

// "NAME=DIR" or "NAME=TASK:DIR" (TASK a task name or alias). InvalidInputError naming what is wrong; the
// folder must hold a config.json.
ModelSpec parse_model_spec(std::string_view text);
// Every sub-folder of `dir` that holds a config.json, named by the folder, its task inferred; sorted.
std::vector<ModelSpec> scan_model_repository(const std::filesystem::path& dir);
// The task a folder's config.json implies (architectures: ...ForSequenceClassification ->
// text-classification, ...ForTokenClassification, ...ForQuestionAnswering, ...ForMaskedLM, ...ForCausalLM /
// ...LMHeadModel -> text-generation, encoder-decoders -> translation for marian / m2m_100 / nllb / mbart,
// text2text-generation otherwise); anything else -> feature-extraction.
std::string infer_task(const std::filesystem::path& dir);
// InvalidInputError for a name a request could not carry safely.
void check_model_name(std::string_view name);

}  // namespace transformers::server
