// The aligned external-data sidecar of a model that embeds its weights: written once into a
// cache folder, keyed by the model's absolute path, size, mtime and inode so a changed model file
// gets a new one. Layout: <cache>/<stem>-<path hash>-<version hash>.onnx (the small graph whose
// big initializers point at the sidecar) and .weights (each tensor at a 64-byte offset, or a
// page-aligned one from 64 KiB up). Both are written to temporary files and renamed into place,
// .weights first, so a reader that sees the .onnx sees a complete pair; racing writers produce
// identical bytes and the last rename wins harmlessly.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>

#include "engine/onnx_protobuf.hpp"

namespace transformers::engine::sidecar {

// The cache cannot be created or written (the caller falls back to plain loading).
class CacheUnwritable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// $XDG_CACHE_HOME/transformers-cpp/weights, else ~/.cache/transformers-cpp/weights, else
// <temp>/transformers-cpp/weights.
std::filesystem::path default_cache_dir();

// Initializers at least this big go to the sidecar; smaller ones stay embedded.
inline constexpr uint64_t kMinExternalBytes = 1024;

struct Entry {
  std::filesystem::path onnx;     // rewritten model (ONNX Runtime opens this)
  std::filesystem::path weights;  // the sidecar
};

// Where the cache entry of `model_file` lives (whether or not it exists yet). Throws
// std::filesystem::filesystem_error when the model cannot be stat'ed.
Entry entry_for(const std::filesystem::path& model_file, const std::filesystem::path& cache_dir);

// Writes the entry for `model` (the mapped bytes of the model file, already scanned). Returns
// false, writing nothing, when no initializer is big enough to be worth a sidecar. Removes older
// entries of the same model path. Throws CacheUnwritable when the cache cannot be written.
bool write(const Entry& entry, std::span<const std::byte> model, const onnx::ModelScan& scan);

// Bytes reserved for `length` bytes of data at `offset` (exposed for tests): 64-byte alignment,
// 4 KiB from 64 KiB up.
uint64_t aligned_offset(uint64_t offset, uint64_t length);

}  // namespace transformers::engine::sidecar
