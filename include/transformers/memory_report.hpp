// memory_report(): what the OS sees of the process next to what we allocated, per pipeline.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "transformers/memory.hpp"

namespace transformers {

struct PipelineMemoryRow {
  uint64_t owner = 0;  // allocator accounting id
  std::string task;
  std::filesystem::path model;
  std::string dtype;
  std::filesystem::path onnx_file;
  uint64_t in_use = 0;       // bytes of our allocator it holds now
  uint64_t peak_in_use = 0;  // the most it held at once
  uint64_t allocations = 0;
  // Generation pipelines: their key/value cache (part of in_use while a call runs), the most it held, and
  // what one position costs (every layer's key and value, the whole batch, both buffers counted once).
  uint64_t kv_cache_bytes = 0, kv_cache_peak_bytes = 0, kv_cache_bytes_per_token = 0;
};

struct MappedWeightsRow {
  std::filesystem::path file;
  uint64_t bytes = 0;
  int sessions = 0;  // sessions sharing this one mapping
};

struct MemoryReport {
  ProcessMemory process;       // /proc: RSS, RssAnon, RssFile, PSS
  AllocatorStats allocator;    // reserved / in use / peak / cached
  uint64_t mapped_weights_bytes = 0;
  std::vector<MappedWeightsRow> mapped_weights;
  std::vector<PipelineMemoryRow> pipelines;  // every live pipeline
  uint64_t unattributed_in_use = 0;          // allocator bytes held outside any pipeline

  std::string to_json() const;   // one object, bytes as integers
  std::string to_table() const;  // for people: MiB, aligned columns
};

MemoryReport memory_report();

}  // namespace transformers
