// The optimized-model cache (internal: exposes ONNX Runtime types). On the first load of a model file
// ONNX Runtime optimizes the graph with prepacking on and writes it, with its initializers and the
// prepacked MatMul weights, into a cache entry; every later session of that file (in this process or
// another) is created from the entry, and ONNX Runtime maps its data file read-only instead of packing
// weights onto the heap: the speed of prepacking with file-backed, shared memory and a faster load
// (docs/performance.md, docs/memory-weights.md).
//
// Entry: <cache>/<stem>-<path hash>-<key hash>.opt/{model.onnx, model.onnx.data, manifest}. The key covers
// what changes the written graph: the model file's identity (size, mtime, inode, device, and of its
// external-data files), ONNX Runtime's version, the optimization level, the CPU's feature words, and
// this cache's format. Written in a temporary folder renamed into place: two processes racing both end
// with a complete entry (the loser's folder is dropped). A damaged entry (sizes not those of its
// manifest, or a graph ONNX Runtime refuses) is rebuilt; older entries of the same path are removed.
#pragma once

#include <onnxruntime_cxx_api.h>

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "transformers/engine.hpp"

namespace transformers::engine::optimized {

// The cache cannot be created or written (the caller falls back to plain loading, naming why).
class CacheUnwritable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Entry {
  std::filesystem::path dir;   // <cache>/<name>.opt
  std::filesystem::path onnx;  // dir/model.onnx: what ONNX Runtime opens
  std::filesystem::path data;  // dir/model.onnx.data: initializers and prepacked weights, mapped by ORT
  std::string name;            // <stem>-<path hash>-<key hash>
};

// Where the entry of `model_file` optimized at `level` lives (whether or not it exists). Throws
// std::filesystem::filesystem_error when the model cannot be stat'ed.
Entry entry_for(const std::filesystem::path& model_file, const std::filesystem::path& cache_dir,
                GraphOptimization level);

// The entry name for explicit key parts (entry_for uses this ONNX Runtime's version and this CPU's
// feature key): exposed so that tests can show each part changes the name.
std::string entry_name(const std::filesystem::path& model_file, GraphOptimization level,
                       const std::string& ort_version, const std::string& cpu_key);

// True when the entry exists and its files have the sizes its manifest recorded.
bool complete(const Entry& entry);

// Writes the entry: a throwaway session of `model_file` saves the optimized graph. Returns the seconds it
// took. Throws CacheUnwritable (nothing left behind) when the folder cannot be written or ONNX Runtime
// fails to save; ModelLoadError when ONNX Runtime cannot load the model at all.
double build(const Entry& entry, const std::filesystem::path& model_file, GraphOptimization level);

// Records a use of the entry (the manifest's mtime), for least-recently-used eviction.
void touch(const Entry& entry);

// Removes the entry (a damaged one, before rebuilding).
void remove(const Entry& entry);

}  // namespace transformers::engine::optimized
