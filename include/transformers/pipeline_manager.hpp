// PipelineManager: every live pipeline in one registry, shared by key, under a memory budget.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "transformers/pipeline.hpp"

namespace transformers {

struct ManagerOptions {
  uint64_t budget_bytes = 0;  // 0 = no budget
};

struct ManagedPipelineInfo {
  std::string task;
  std::filesystem::path model;
  std::string dtype;
  PipelineFootprint footprint;
  uint64_t accounted_bytes = 0;  // private weights, its working memory now, shared mappings counted once
  std::chrono::steady_clock::time_point last_use;
  bool pinned = false;
  long holders = 0;  // handles held outside the manager
};

// Pipelines are shared: get_or_load() with the same task, model folder and options returns the same
// pipeline while it lives. A pipeline is idle when nobody outside the manager holds its handle; only idle,
// unpinned pipelines are evicted, least recently acquired first, one at a time (each disposal finishes
// before the next starts, so teardowns never overlap into a peak). A load that still does not fit raises
// BudgetExceededError with the requested and available bytes. With a budget, the manager also caps our
// allocator at (budget - weights), so working memory cannot push the total past the budget: an
// inference that would is refused with BudgetExceededError. One budgeted manager per process.
class PipelineManager {
 public:
  explicit PipelineManager(ManagerOptions options = {});
  ~PipelineManager();  // disposes every pipeline it holds, one at a time
  PipelineManager(const PipelineManager&) = delete;
  PipelineManager& operator=(const PipelineManager&) = delete;

  std::shared_ptr<Pipeline> get_or_load(std::string_view task, const std::filesystem::path& model,
                                        const PipelineOptions& options = {}, bool pin = false);
  void set_pinned(const std::shared_ptr<Pipeline>& pipeline, bool pinned);
  // Disposes a pipeline now if it is idle; returns false if it is held elsewhere or unknown.
  bool evict(const std::shared_ptr<Pipeline>& pipeline);
  // Disposes every idle pipeline (pinned ones too if `include_pinned`); returns how many.
  size_t evict_idle(bool include_pinned = false);

  std::vector<ManagedPipelineInfo> pipelines() const;  // most recently used first
  uint64_t accounted_bytes() const;
  uint64_t budget_bytes() const;
  void set_budget_bytes(uint64_t bytes);  // takes effect at the next load
  uint64_t evictions() const;

  // The bytes a load of this (task, model, options) would add, estimated before loading it: the weights of
  // every ONNX file the task loads (an encoder-decoder's two graphs), minus what live pipelines already map.
  uint64_t estimate_load_bytes(std::string_view task, const std::filesystem::path& model,
                               const PipelineOptions& options) const;
  // The same for a single-graph task (onnx/<options.model_file_name>).
  uint64_t estimate_load_bytes(const std::filesystem::path& model, const PipelineOptions& options) const;

 private:
  struct Entry;
  void make_room_locked(uint64_t requested, const std::string& what);
  uint64_t estimate_files_bytes(const std::vector<std::filesystem::path>& files) const;
  uint64_t accounted_locked() const;  // weights + allocator in use
  uint64_t weights_locked() const;    // private weights + shared mappings counted once
  void apply_limit_locked();          // allocator limit = budget - weights
  ManagerOptions options_;
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<Entry>> entries_;
  uint64_t evictions_ = 0;
  uint64_t use_counter_ = 0;
  bool limit_set_ = false;
};

}  // namespace transformers
