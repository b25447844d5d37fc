// The key/value cache bytes each allocator owner (pipeline) holds now, the most it held, and the bytes one
// position costs in its last call: what memory_report() shows beside the owner's allocator figures.
// Internal; thread-safe.
#pragma once

#include <cstdint>

namespace transformers::generation {

struct CacheFigures {
  uint64_t bytes = 0, peak_bytes = 0, bytes_per_token = 0;
};
void cache_acquired(uint64_t owner, uint64_t bytes, uint64_t bytes_per_token);
void cache_released(uint64_t owner, uint64_t bytes);
CacheFigures cache_figures(uint64_t owner);

}  // namespace transformers::generation
