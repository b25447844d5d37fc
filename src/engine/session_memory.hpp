// How a session's memory is served and accounted (internal: exposes ONNX Runtime types).
#pragma once

#include <onnxruntime_cxx_api.h>

#include <cstdint>

#include "transformers/engine.hpp"

namespace transformers::engine {

// Applies the process allocator choices to a session about to be created: with our allocator
// enabled (transformers::allocator_options().enabled), the session uses the environment's
// allocators (ours) and ONNX Runtime's own CPU arena is off; otherwise nothing changes.
void configure_session_memory(Ort::SessionOptions& so, const SessionOptions& options);

// Registers our allocator (memory::pool()) with the environment as its CPU device allocator.
// Called once, right after the environment is created.
void register_env_allocator(Ort::Env& env);

// While alive, allocations made through our allocator on this thread are charged to `owner`.
class MemoryScope {
 public:
  explicit MemoryScope(uint64_t owner);
  ~MemoryScope();
  MemoryScope(const MemoryScope&) = delete;
  MemoryScope& operator=(const MemoryScope&) = delete;

 private:
  uint64_t previous_;
};

}  // namespace transformers::engine
