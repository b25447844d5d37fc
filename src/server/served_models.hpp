// The models a server serves, by name, and how their calls run: in this process through one
// PipelineManager (the budget over every loaded model, LRU eviction of idle ones) with a dynamic batcher
// per batchable model, or each model in its own worker (a thread, or a process whose crash fails only that
// model's calls and is restarted).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "server/serve_options.hpp"
#include "transformers/dynamic_batcher.hpp"
#include "transformers/memory_report.hpp"
#include "transformers/pipeline.hpp"

namespace transformers {
class PipelineManager;
}

namespace transformers::server {

struct ServedModelInfo {
  ModelSpec spec;
  bool loaded = false;
  bool ready = false;              // a request would be served now (loaded, or loadable on demand)
  uint64_t weight_bytes = 0;       // the ONNX files the task loads
  uint64_t mapped_weight_bytes = 0;
  uint64_t in_use_bytes = 0;       // working memory now (our allocator; the worker's for workers)
  uint64_t peak_in_use_bytes = 0;
  int worker_pid = 0;              // process workers: the child's pid (0 otherwise)
  uint64_t in_flight = 0;
  uint64_t loads = 0, unloads = 0, evictions = 0, worker_restarts = 0;
  std::string last_error;          // of the last failed load
};

class ServedModels {
 public:
  explicit ServedModels(const ServeOptions& options);
  ~ServedModels();  // stops batchers, disposes pipelines, ends workers
  ServedModels(const ServedModels&) = delete;
  ServedModels& operator=(const ServedModels&) = delete;

  // ApiError 404 for a name that is not configured (naming the configured ones).
  const ModelSpec& spec(const std::string& name) const;
  // The model of a task when a request names none: the only model of that task; ApiError 400 otherwise.
  const ModelSpec& default_for_task(const std::string& task) const;
  std::vector<std::string> names() const;
  ServedModelInfo info(const std::string& name) const;
  std::vector<ServedModelInfo> infos() const;

  // Loads now (no-op if loaded). Under a budget, on-demand mode first evicts idle models, least recently
  // used first; a load that still cannot fit is BudgetExceededError (507) with the bytes.
  void load(const std::string& name);
  // Disposes now, waiting up to unload_wait for its requests; false if it was not loaded.
  bool unload(const std::string& name);

  // One call (any input kind), batched or not as the caller passed it.
  Output call(const std::string& name, const PipelineInputs& inputs, bool batched, const CallOptions& options,
              const StreamCallback& on_text = {});
  // Single texts of a batchable task, each answered as if called alone, through the model's dynamic
  // batcher (in process) so that concurrent requests share inferences; in a worker, one call.
  std::vector<Output> call_each(const std::string& name, const std::vector<std::string>& texts,
                                const std::vector<std::string>& text_pairs, const CallOptions& options);
  // The call as JSON (Pipeline::call_json): the native route.
  Output call_json(const std::string& name, const std::string& inputs_json, const std::string& options_json);
  // Tokens per text (usage figures); 0s in worker mode, where no tokenizer lives in this process.
  std::vector<size_t> token_counts(const std::string& name, const std::vector<std::string>& texts);

  // The model's dynamic batcher's figures; unset when it has none (not batchable, workers, no call yet).
  std::optional<DynamicBatcherStats> batcher_stats(const std::string& name) const;

  uint64_t budget_bytes() const;
  uint64_t accounted_bytes() const;  // what the budget holds (in process: the manager's figure)

  struct Model;

 private:
  Model& model(const std::string& name) const;
  std::shared_ptr<Pipeline> acquire(Model& m);  // in process: the pipeline, loaded if allowed
  // Evicts idle models (on-demand mode, least recently used first) until `bytes` more fit the budget;
  // BudgetExceededError when nothing more can go. Called with mutex_ held.
  void make_room_locked(Model& m, uint64_t bytes);
  void ensure_loaded(Model& m);  // explicit mode: 503 model_not_loaded; on demand: load()
  // `report`: the memory report to read working memory from; null = read one if the model is in process.
  ServedModelInfo info_of(Model& m, const MemoryReport* report) const;
  ServeOptions options_;
  std::unique_ptr<PipelineManager> manager_;  // in process; in worker mode only estimates loads
  std::map<std::string, std::unique_ptr<Model>> models_;
  mutable std::mutex mutex_;  // worker-mode loads, the LRU order
  std::atomic<uint64_t> use_counter_{0};
};

}  // namespace transformers::server
