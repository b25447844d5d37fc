// The process-wide ONNX Runtime environment (internal: exposes ONNX Runtime types).
#pragma once

#include <onnxruntime_cxx_api.h>

#include "transformers/engine.hpp"

namespace transformers::engine {

// Created on first use with the options from configure_runtime(); lives until process exit.
Ort::Env& env();

GraphOptimizationLevel to_onnx_level(GraphOptimization level);

}  // namespace transformers::engine
