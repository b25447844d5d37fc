// Where a session's weights come from (internal: exposes ONNX Runtime types).
//
// With SessionOptions::file_backed_weights (the default) initializers are served to ONNX Runtime
// from read-only file mappings, without copies: a model that embeds its weights gets an aligned
// sidecar written once into the weights cache (engine/weights_sidecar.hpp); a model that already
// uses external data is served as is. Each mapped file is mapped ONCE per process and shared by
// every session using it (refcounted); the last session to go unmaps it. See docs/memory-weights.md.
#pragma once

#include <onnxruntime_cxx_api.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "transformers/engine.hpp"

namespace transformers::engine {

struct PreparedModel {
  std::filesystem::path path;                        // the .onnx file ONNX Runtime opens
  std::shared_ptr<const void> keep_alive;            // held by the session (e.g. a shared weights mapping)
  std::function<void(Ort::SessionOptions&)> attach;  // adds what the session needs (may be empty)
  uint64_t mapped_bytes = 0;                         // weights served from a file mapping
  // An optimized-model cache entry: ONNX Runtime's own graph, saved after its optimizers ran at the level
  // asked (loading it runs none again), its prepacked weights in the mapped file (no in-memory container).
  bool from_optimized_cache = false;
  // Set for a cache entry: ONNX Runtime refused it, so rewrite it and return the model to load instead
  // (the rewritten entry, or the original file when the cache cannot be written).
  std::function<PreparedModel()> rebuild;
};

// Decides how `model_file` is loaded under `options` (file-backed weights, sidecar cache, sharing).
// Throws ModelLoadError naming `model_file` when it is not a readable ModelProto. When the weights
// cache cannot be written the model is loaded plainly (ONNX Runtime copies the embedded weights)
// and the reason is kept in last_weights_fallback().
PreparedModel prepare_model(const std::filesystem::path& model_file, const SessionOptions& options);

// One live weights mapping, for the memory report.
struct MappedWeights {
  std::filesystem::path path;  // the mapped file (sidecar or the model's own external data)
  uint64_t bytes = 0;          // mapping size
  int sessions = 0;            // sessions currently using it
};
std::vector<MappedWeights> mapped_weights();
uint64_t mapped_weights_bytes();  // sum over mapped_weights()

// Why the last file-backed load fell back to plain loading ("" if none did).
std::string last_weights_fallback();

}  // namespace transformers::engine
