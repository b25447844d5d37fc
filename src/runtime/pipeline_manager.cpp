#include "transformers/pipeline_manager.hpp"

#include "pipelines/task_registry.hpp"


#include <algorithm>
#include <map>

#include "core/files.hpp"
#include "pipelines/pipeline_key.hpp"
#include "transformers/error.hpp"
#include "transformers/model_folder.hpp"

namespace transformers {

namespace fs = std::filesystem;

struct PipelineManager::Entry {
  std::string key;
  std::shared_ptr<Pipeline> pipeline;
  ManagedPipelineInfo info;  // footprint captured at load; last_use and pinned kept current
  uint64_t use_seq = 0;      // orders acquisitions exactly (timestamps can tie)
};


PipelineManager::PipelineManager(ManagerOptions options) : options_(options) {}

PipelineManager::~PipelineManager() {
  std::lock_guard lock(mutex_);
  // One at a time, in load order, so that no two teardowns overlap.
  for (auto& e : entries_) e->pipeline->dispose();
  entries_.clear();
  if (limit_set_) {
    AllocatorOptions o = allocator_options();
    o.limit_bytes = 0;
    configure_allocator(o);
  }
}

uint64_t PipelineManager::accounted_locked() const { return weights_locked() + allocator_stats().in_use; }

void PipelineManager::apply_limit_locked() {
  if (options_.budget_bytes == 0 && !limit_set_) return;
  AllocatorOptions o = allocator_options();
  const uint64_t weights = weights_locked();
  // Working memory may use what the weights leave of the budget (at least one byte: 0 means "no limit").
  o.limit_bytes = options_.budget_bytes == 0 ? 0 : std::max<uint64_t>(1, options_.budget_bytes - std::min(weights, options_.budget_bytes - 1));
  configure_allocator(o);
  limit_set_ = options_.budget_bytes != 0;
}

uint64_t PipelineManager::weights_locked() const {
  uint64_t total = 0;
  std::map<fs::path, uint64_t> mapped;  // a shared mapping is counted once
  for (const auto& e : entries_) {
    const PipelineFootprint& f = e->info.footprint;
    total += f.private_bytes;
    if (f.mapped_weight_bytes) mapped[f.weights_file] = std::max(mapped[f.weights_file], f.mapped_weight_bytes);
  }
  for (const auto& [file, bytes] : mapped) total += bytes;
  return total;
}

uint64_t PipelineManager::estimate_load_bytes(std::string_view task, const fs::path& model,
                                              const PipelineOptions& options) const {
  return estimate_files_bytes(pipelines::task_model_files(canonical_task(task), model, options));
}

uint64_t PipelineManager::estimate_load_bytes(const fs::path& model, const PipelineOptions& options) const {
  return estimate_load_bytes("feature-extraction", model, options);  // any single-graph task: onnx/<model_file_name>
}

uint64_t PipelineManager::estimate_files_bytes(const std::vector<fs::path>& files) const {
  std::lock_guard lock(mutex_);
  uint64_t total = 0;
  for (size_t i = 0; i < files.size(); ++i) {
    std::error_code ec;
    uint64_t bytes = fs::file_size(files[i], ec);
    // A model already loaded by a live pipeline (its first file is the footprint's weights file) costs
    // only what this load keeps privately, for all its files.
    for (const auto& e : entries_) {
      if (e->info.footprint.weights_file != files[0]) continue;
      if (e->info.footprint.mapped_weight_bytes > 0) return e->info.footprint.private_bytes;
      if (i == 0) bytes = std::max(bytes, e->info.footprint.weight_bytes);
    }
    total += bytes;
  }
  return total;
}

void PipelineManager::make_room_locked(uint64_t requested, const std::string& what) {
  const uint64_t budget = options_.budget_bytes;
  if (budget == 0) return;
  while (accounted_locked() + requested > budget) {
    Entry* victim = nullptr;
    for (auto& e : entries_) {
      if (e->info.pinned || e->pipeline.use_count() > 1) continue;
      if (!victim || e->use_seq < victim->use_seq) victim = e.get();
    }
    if (!victim) {
      const uint64_t accounted = accounted_locked();
      const uint64_t available = accounted >= budget ? 0 : budget - accounted;
      throw BudgetExceededError("loading " + what + " needs " + std::to_string(requested) + " bytes (" +
                                core::human_bytes(requested) + ") but only " + std::to_string(available) +
                                " bytes (" + core::human_bytes(available) + ") of the " + core::human_bytes(budget) +
                                " budget are available, and no idle unpinned pipeline is left to evict");
    }
    victim->pipeline->dispose();  // finishes before the next eviction starts
    entries_.erase(std::find_if(entries_.begin(), entries_.end(), [&](const auto& e) { return e.get() == victim; }));
    ++evictions_;
  }
  apply_limit_locked();
}

std::shared_ptr<Pipeline> PipelineManager::get_or_load(std::string_view task, const fs::path& model,
                                                       const PipelineOptions& options, bool pin) {
  const std::string canonical = canonical_task(task);
  const ModelFolder folder(model);
  ModelFileRequest request;
  request.dtype = options.dtype;
  request.model_file_name = options.model_file_name;
  const std::string dtype = folder.resolve_dtype(request);
  const std::string key = pipeline_key(canonical, model, options);
  const uint64_t requested = estimate_load_bytes(canonical, model, options);

  std::lock_guard lock(mutex_);
  for (auto& e : entries_) {
    if (e->key == key) {
      e->info.last_use = std::chrono::steady_clock::now();
      e->use_seq = ++use_counter_;
      e->info.pinned = e->info.pinned || pin;
      return e->pipeline;
    }
  }
  make_room_locked(requested, canonical + " on " + model.string() + " (" + dtype + ")");
  auto entry = std::make_unique<Entry>();
  entry->key = key;
  entry->pipeline = std::make_shared<Pipeline>(pipeline(canonical, model, options));
  entry->info.task = canonical;
  entry->info.model = model;
  entry->info.dtype = dtype;
  entry->info.footprint = entry->pipeline->footprint();
  entry->info.pinned = pin;
  entry->info.last_use = std::chrono::steady_clock::now();
  entry->use_seq = ++use_counter_;
  entries_.push_back(std::move(entry));
  apply_limit_locked();
  return entries_.back()->pipeline;
}

void PipelineManager::set_pinned(const std::shared_ptr<Pipeline>& pipeline, bool pinned) {
  std::lock_guard lock(mutex_);
  for (auto& e : entries_)
    if (e->pipeline == pipeline) e->info.pinned = pinned;
}

bool PipelineManager::evict(const std::shared_ptr<Pipeline>& pipeline) {
  std::lock_guard lock(mutex_);
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    // Idle: the manager's handle plus the caller's argument.
    if ((*it)->pipeline == pipeline && (*it)->pipeline.use_count() <= 2) {
      (*it)->pipeline->dispose();
      entries_.erase(it);
      ++evictions_;
      apply_limit_locked();
      return true;
    }
  }
  return false;
}

size_t PipelineManager::evict_idle(bool include_pinned) {
  std::lock_guard lock(mutex_);
  size_t n = 0;
  for (auto it = entries_.begin(); it != entries_.end();) {
    if ((*it)->pipeline.use_count() == 1 && (include_pinned || !(*it)->info.pinned)) {
      (*it)->pipeline->dispose();
      it = entries_.erase(it);
      ++n;
      ++evictions_;
    } else {
      ++it;
    }
  }
  apply_limit_locked();
  return n;
}

std::vector<ManagedPipelineInfo> PipelineManager::pipelines() const {
  std::lock_guard lock(mutex_);
  std::vector<const Entry*> order;
  for (const auto& e : entries_) order.push_back(e.get());
  std::sort(order.begin(), order.end(), [](const Entry* a, const Entry* b) { return a->use_seq > b->use_seq; });
  std::vector<ManagedPipelineInfo> out;
  std::map<fs::path, bool> mapped_seen;
  for (const Entry* e : order) {
    ManagedPipelineInfo info = e->info;
    info.holders = e->pipeline.use_count() - 1;
    const PipelineFootprint& f = info.footprint;
    info.accounted_bytes = f.private_bytes + owner_memory(e->pipeline->memory_owner()).in_use;
    if (f.mapped_weight_bytes && !mapped_seen[f.weights_file]) {
      mapped_seen[f.weights_file] = true;
      info.accounted_bytes += f.mapped_weight_bytes;
    }
    out.push_back(std::move(info));
  }
  return out;
}

uint64_t PipelineManager::accounted_bytes() const {
  std::lock_guard lock(mutex_);
  return accounted_locked();
}

uint64_t PipelineManager::budget_bytes() const {
  std::lock_guard lock(mutex_);
  return options_.budget_bytes;
}

void PipelineManager::set_budget_bytes(uint64_t bytes) {
  std::lock_guard lock(mutex_);
  options_.budget_bytes = bytes;
  apply_limit_locked();
}

uint64_t PipelineManager::evictions() const {
  std::lock_guard lock(mutex_);
  return evictions_;
}

}  // namespace transformers
