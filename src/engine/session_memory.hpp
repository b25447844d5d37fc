// How a session's memory is served and accounted (internal: exposes ONNX Runtime types).
#pragma once

#include <onnxruntime_cxx_api.h>

#include <cstdint>

#include "transformers/engine.hpp"

namespace transformers::engine {

// Applies the process allocator choices to a session about to be created.
void configure_session_memory(Ort::SessionOptions& so, const SessionOptions& options);

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
