// Where a session's weights come from (internal: exposes ONNX Runtime types).
#pragma once

#include <onnxruntime_cxx_api.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>

#include "transformers/engine.hpp"

namespace transformers::engine {

struct PreparedModel {
  std::filesystem::path path;                        // the .onnx file ONNX Runtime opens
  std::shared_ptr<const void> keep_alive;            // held by the session (e.g. a shared weights mapping)
  std::function<void(Ort::SessionOptions&)> attach;  // adds what the session needs (may be empty)
  uint64_t mapped_bytes = 0;                         // weights served from a file mapping
};

// Decides how `model_file` is loaded under `options` (file-backed weights, sidecar cache, sharing).
PreparedModel prepare_model(const std::filesystem::path& model_file, const SessionOptions& options);

}  // namespace transformers::engine
