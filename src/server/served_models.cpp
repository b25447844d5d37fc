#include "server/served_models.hpp"

#include <algorithm>
#include <future>
#include <thread>

#include "pipelines/batch_rows.hpp"
#include "pipelines/task_registry.hpp"
#include "server/api_error.hpp"
#include "transformers/dynamic_batcher.hpp"
#include "transformers/error.hpp"
#include "transformers/pipeline_manager.hpp"
#include "transformers/worker_pool.hpp"

namespace transformers::server {

struct ServedModels::Model {
  ModelSpec spec;
  const pipelines::TaskSpec* task = nullptr;
  std::mutex mutex;                      // pipeline, pool, batcher
  std::shared_ptr<Pipeline> pipeline;    // in process, while loaded
  std::shared_ptr<WorkerPool> pool;      // worker mode, while loaded
  uint64_t worker_bytes = 0;             // worker mode: the weights charged to the budget
  std::unique_ptr<DynamicBatcher> batcher;
  std::atomic<uint64_t> in_flight{0}, loads{0}, unloads{0}, evictions{0}, last_use{0};
  std::string last_error;
  bool loaded() {
    std::lock_guard lock(mutex);
    return pipeline || pool;
  }
};

namespace {

// Counts a request against its model while it runs (an idle model is one with none).
class InFlight {
 public:
  explicit InFlight(ServedModels::Model& m) : m_(m) { ++m_.in_flight; }
  ~InFlight() { --m_.in_flight; }
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;

 private:
  ServedModels::Model& m_;
};

WorkerKind worker_kind(ServeWorkers w) { return w == ServeWorkers::process ? WorkerKind::process : WorkerKind::thread; }

}  // namespace

ServedModels::ServedModels(const ServeOptions& options) : options_(options) {
  ManagerOptions mo;
  if (options.workers == ServeWorkers::none) mo.budget_bytes = options.budget_bytes;
  manager_ = std::make_unique<PipelineManager>(mo);
  for (const auto& spec : options.models) {
    check_model_name(spec.name);
    if (models_.count(spec.name)) throw InvalidInputError("model name '" + spec.name + "' is given twice");
    auto m = std::make_unique<Model>();
    m->spec = spec;
    m->spec.task = canonical_task(spec.task);
    m->task = &pipelines::task_spec(m->spec.task);
    models_[spec.name] = std::move(m);
  }
}

ServedModels::~ServedModels() {
  for (auto& [name, m] : models_) {
    if (m->batcher) m->batcher->stop();
  }
  for (auto& [name, m] : models_) {
    m->batcher.reset();
    m->pipeline.reset();
    if (m->pool) m->pool->terminate();
    m->pool.reset();
  }
  manager_.reset();  // disposes what it holds, one at a time
}

ServedModels::Model& ServedModels::model(const std::string& name) const {
  auto it = models_.find(name);
  if (it == models_.end()) {
    std::string known;
    for (const auto& [n, m] : models_) known += (known.empty() ? "" : ", ") + n;
    throw ApiError(404, "model_not_found", "model '" + name + "' is not served (served: " + (known.empty() ? "none" : known) + ")");
  }
  return *it->second;
}

const ModelSpec& ServedModels::spec(const std::string& name) const { return model(name).spec; }

const ModelSpec& ServedModels::default_for_task(const std::string& task) const {
  const std::string canonical = canonical_task(task);
  const ModelSpec* found = nullptr;
  size_t count = 0;
  for (const auto& [n, m] : models_) {
    if (m->spec.task == canonical) {
      found = &m->spec;
      ++count;
    }
  }
  if (count == 1) return *found;
  throw ApiError(400, "invalid_input", count == 0 ? "no served model does " + canonical
                                                  : "several served models do " + canonical + ": name one with \"model\"");
}

std::vector<std::string> ServedModels::names() const {
  std::vector<std::string> out;
  for (const auto& [n, m] : models_) out.push_back(n);
  return out;
}

uint64_t ServedModels::budget_bytes() const { return options_.budget_bytes; }

uint64_t ServedModels::accounted_bytes() const {
  if (options_.workers == ServeWorkers::none) return manager_->accounted_bytes();
  uint64_t sum = 0;
  for (const auto& [n, m] : models_) {
    std::lock_guard lock(m->mutex);
    if (m->pool) sum += m->worker_bytes;
  }
  return sum;
}

void ServedModels::make_room_locked(Model& wanted, uint64_t bytes) {
  // In process the manager makes room (evicting what it may); here the server evicts idle models itself,
  // least recently used first, until the load fits.
  const uint64_t budget = options_.budget_bytes;
  while (budget && accounted_bytes() + bytes > budget) {
    Model* victim = nullptr;
    if (options_.control == ModelControl::on_demand) {
      for (auto& [n, m] : models_) {
        if (m.get() == &wanted || m->in_flight > 0 || !m->loaded()) continue;
        if (!victim || m->last_use < victim->last_use) victim = m.get();
      }
    }
    if (!victim) {
      const uint64_t used = accounted_bytes();
      throw BudgetExceededError("loading " + wanted.spec.name + " needs " + std::to_string(bytes) + " bytes; the budget of " +
                                std::to_string(budget) + " bytes has " + std::to_string(budget > used ? budget - used : 0) +
                                " available and no idle model to evict");
    }
    std::shared_ptr<Pipeline> pipeline;
    std::shared_ptr<WorkerPool> pool;
    {
      std::lock_guard lock(victim->mutex);
      if (victim->in_flight > 0) continue;  // a request came in meanwhile: look again
      pipeline = std::move(victim->pipeline);
      pool = std::move(victim->pool);
    }
    ++victim->evictions;
    if (pool) pool->terminate();
    if (pipeline) manager_->evict(pipeline);
  }
}

void ServedModels::load(const std::string& name) {
  Model& m = model(name);
  std::lock_guard load_lock(mutex_);  // one load at a time: the budget check and the load are one step
  if (m.loaded()) return;
  try {
    if (options_.workers == ServeWorkers::none) {
      const uint64_t bytes = manager_->estimate_load_bytes(m.spec.task, m.spec.dir, options_.pipeline);
      if (options_.budget_bytes && manager_->accounted_bytes() + bytes > options_.budget_bytes) {
        make_room_locked(m, bytes);  // the same LRU choice; the manager then checks for itself
      }
      auto p = manager_->get_or_load(m.spec.task, m.spec.dir, options_.pipeline,
                                     options_.control == ModelControl::explicit_);
      std::lock_guard lock(m.mutex);
      m.pipeline = std::move(p);
    } else {
      const uint64_t bytes = manager_->estimate_load_bytes(m.spec.task, m.spec.dir, options_.pipeline);
      make_room_locked(m, bytes);
      WorkerPoolOptions po;
      po.workers = 1;
      po.worker.kind = worker_kind(options_.workers);
      po.worker.name = m.spec.name;
      po.max_queue = 0;  // the server's admission control bounds what is waiting
      po.restart_on_crash = true;
      auto pool = std::make_shared<WorkerPool>(po);
      pool->load(m.spec.task, m.spec.dir, options_.pipeline).get();
      std::lock_guard lock(m.mutex);
      m.pool = std::move(pool);
      m.worker_bytes = bytes;
    }
    ++m.loads;
    std::lock_guard lock(m.mutex);
    m.last_error.clear();
  } catch (const std::exception& e) {
    std::lock_guard lock(m.mutex);
    m.last_error = e.what();
    throw;
  }
}

bool ServedModels::unload(const std::string& name) {
  Model& m = model(name);
  std::lock_guard load_lock(mutex_);
  // Wait for the model's requests (new ones still arrive: in on-demand mode they would load it again).
  const auto deadline = std::chrono::steady_clock::now() + options_.unload_wait;
  while (m.in_flight > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::shared_ptr<Pipeline> pipeline;
  std::shared_ptr<WorkerPool> pool;
  {
    std::lock_guard lock(m.mutex);
    pipeline = std::move(m.pipeline);
    pool = std::move(m.pool);
  }
  if (!pipeline && !pool) return false;
  ++m.unloads;
  if (pool) pool->terminate();  // finishes what it holds, then the worker exits
  if (pipeline) {
    manager_->set_pinned(pipeline, false);
    // A batch may still hold it for a moment after its requests are answered.
    while (!manager_->evict(pipeline) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  return true;
}

void ServedModels::ensure_loaded(Model& m) {
  if (options_.control == ModelControl::explicit_) {
    throw ApiError(503, "model_not_loaded", "model '" + m.spec.name + "' is not loaded (POST /v2/repository/models/" +
                                                m.spec.name + "/load)");
  }
  load(m.spec.name);
}

std::shared_ptr<Pipeline> ServedModels::acquire(Model& m) {
  m.last_use = ++use_counter_;
  {
    std::lock_guard lock(m.mutex);
    if (m.pipeline) return m.pipeline;
  }
  ensure_loaded(m);
  std::lock_guard lock(m.mutex);
  if (!m.pipeline) throw ApiError(503, "model_not_loaded", "model '" + m.spec.name + "' was unloaded while loading");
  return m.pipeline;
}

namespace {
std::shared_ptr<WorkerPool> pool_of(ServedModels::Model& m) {
  std::lock_guard lock(m.mutex);
  return m.pool;
}
}  // namespace

Output ServedModels::call(const std::string& name, const PipelineInputs& inputs, bool batched, const CallOptions& options,
                          const StreamCallback& on_text) {
  Model& m = model(name);
  InFlight counted(m);
  if (options_.workers == ServeWorkers::none) {
    auto p = acquire(m);
    return on_text ? p->stream(inputs, batched, options, on_text) : p->call(inputs, batched, options);
  }
  m.last_use = ++use_counter_;
  auto pool = pool_of(m);
  if (!pool) {
    ensure_loaded(m);
    pool = pool_of(m);
    if (!pool) throw ApiError(503, "model_not_loaded", "model '" + name + "' was unloaded while loading");
  }
  WorkerCall call;
  call.task = m.spec.task;
  call.model = m.spec.dir;
  call.pipeline_options = options_.pipeline;
  call.inputs = inputs.texts;
  call.text_pairs = inputs.text_pairs;
  call.chats = inputs.chats;
  call.batched = batched;
  call.call_options = options;
  call.on_text = on_text;
  return pool->submit(std::move(call)).get();
}

std::vector<Output> ServedModels::call_each(const std::string& name, const std::vector<std::string>& texts,
                                            const std::vector<std::string>& text_pairs, const CallOptions& options) {
  Model& m = model(name);
  if (!text_pairs.empty() && text_pairs.size() != texts.size()) {
    throw ApiError(400, "invalid_input", "text pairs: " + std::to_string(text_pairs.size()) + " for " +
                                             std::to_string(texts.size()) + " texts");
  }
  if (options_.workers != ServeWorkers::none || !m.task->batches) {
    // One call with every text; its rows are what each text gets alone.
    PipelineInputs in{texts, text_pairs, {}};
    const Output out = call(name, in, true, options);
    std::vector<size_t> counts(texts.size(), 0);
    return pipelines::split_rows(out, counts, false, "server");
  }
  InFlight counted(m);
  m.last_use = ++use_counter_;
  DynamicBatcher* batcher = nullptr;
  {
    std::lock_guard lock(m.mutex);
    if (!m.batcher) {
      DynamicBatcher::Backend b;
      b.pad_left = pipelines::tokenizer_pads_left(m.spec.dir);
      b.token_counts = [this, &m](const PipelineInputs& in) { return acquire(m)->token_counts(in); };
      b.run = [this, &m](const PipelineInputs& in, const CallOptions& o) { return acquire(m)->call(in, true, o); };
      const pipelines::TaskSpec* task = m.task;
      b.resolve_options = [task](const CallOptions& o) { return pipelines::resolve_options(*task, o); };
      m.batcher = std::make_unique<DynamicBatcher>(std::move(b), options_.batching);
    }
    batcher = m.batcher.get();
  }
  std::vector<std::future<Output>> futures;
  futures.reserve(texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    futures.push_back(text_pairs.empty() ? batcher->submit(texts[i], options)
                                         : batcher->submit(TextPair{texts[i], text_pairs[i]}, options));
  }
  std::vector<Output> out;
  out.reserve(texts.size());
  std::exception_ptr first_error;
  for (auto& f : futures) {
    try {
      out.push_back(f.get());
    } catch (...) {
      if (!first_error) first_error = std::current_exception();
    }
  }
  if (first_error) std::rethrow_exception(first_error);
  return out;
}

Output ServedModels::call_json(const std::string& name, const std::string& inputs_json, const std::string& options_json) {
  Model& m = model(name);
  InFlight counted(m);
  if (options_.workers == ServeWorkers::none) return acquire(m)->call_json(inputs_json, options_json);
  throw ApiError(501, "not_implemented", "the native route with --workers is not available yet: use --workers none");
}

std::vector<size_t> ServedModels::token_counts(const std::string& name, const std::vector<std::string>& texts) {
  Model& m = model(name);
  if (options_.workers != ServeWorkers::none) return std::vector<size_t>(texts.size(), 0);
  InFlight counted(m);
  return acquire(m)->token_counts(texts);
}

ServedModelInfo ServedModels::info(const std::string& name) const { return info_of(model(name), nullptr); }

ServedModelInfo ServedModels::info_of(Model& m, const MemoryReport* report) const {
  ServedModelInfo i;
  i.spec = m.spec;
  std::shared_ptr<Pipeline> pipeline;
  std::shared_ptr<WorkerPool> pool;
  {
    std::lock_guard lock(m.mutex);
    pipeline = m.pipeline;
    pool = m.pool;
    i.last_error = m.last_error;
  }
  i.loaded = pipeline || pool;
  i.ready = i.loaded || options_.control == ModelControl::on_demand;
  i.in_flight = m.in_flight;
  i.loads = m.loads;
  i.unloads = m.unloads;
  i.evictions = m.evictions;
  try {
    i.weight_bytes = 0;
    for (const auto& f : pipelines::task_model_files(m.spec.task, m.spec.dir, options_.pipeline)) {
      std::error_code ec;
      i.weight_bytes += std::filesystem::file_size(f, ec);
    }
  } catch (const std::exception&) {
  }
  if (pipeline) {
    try {
      const PipelineFootprint fp = pipeline->footprint();
      i.mapped_weight_bytes = fp.mapped_weight_bytes;
      const MemoryReport own = report ? MemoryReport{} : memory_report();
      for (const auto& row : (report ? *report : own).pipelines) {
        if (row.owner == pipeline->memory_owner()) {
          i.in_use_bytes = row.in_use;
          i.peak_in_use_bytes = row.peak_in_use;
        }
      }
    } catch (const std::exception&) {
      // disposed meanwhile
    }
  }
  if (pool) {
    const WorkerPoolStats st = pool->stats();
    for (const auto& w : st.workers) {
      i.worker_restarts += w.restarts;
      if (options_.workers == ServeWorkers::process) i.worker_pid = w.pid;
    }
  }
  return i;
}

std::optional<DynamicBatcherStats> ServedModels::batcher_stats(const std::string& name) const {
  Model& m = model(name);
  std::lock_guard lock(m.mutex);
  if (!m.batcher) return std::nullopt;
  return m.batcher->stats();
}

std::vector<ServedModelInfo> ServedModels::infos() const {
  // One /proc read for all of them (metrics scrape every model), and only when a model lives in process.
  std::optional<MemoryReport> report;
  for (const auto& [n, m] : models_) {
    std::lock_guard lock(m->mutex);
    if (m->pipeline && !report) report = memory_report();
  }
  std::vector<ServedModelInfo> out;
  for (const auto& [n, m] : models_) out.push_back(info_of(*m, report ? &*report : nullptr));
  return out;
}

}  // namespace transformers::server
