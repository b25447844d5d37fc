// The process-wide list of live pipelines, keyed by their allocator owner id, for memory reports.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace transformers::live_pipelines {

struct Entry {
  uint64_t owner = 0;  // allocator accounting id (several pipelines may share one)
  std::string task;
  std::filesystem::path model;
  std::string dtype;
  std::filesystem::path onnx_file;
};

// Keyed by the pipeline's address while it lives.
void add(const void* pipeline, Entry entry);
void remove(const void* pipeline);
std::vector<Entry> snapshot();

}  // namespace transformers::live_pipelines
