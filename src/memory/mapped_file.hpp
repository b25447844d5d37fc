// A read-only memory mapping of a whole file (RAII, move-only). Pages are file-backed: the
// kernel shares them with every other mapping of the same file and drops them under pressure
// without swapping. Used to serve model weights without copying them (docs/memory-weights.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>

namespace transformers::memory {

class MappedFile {
 public:
  enum class Advice { normal, sequential, random, will_need, dont_need };

  MappedFile() = default;
  // Maps `path` read-only (MAP_PRIVATE, PROT_READ). Throws ModelLoadError naming the path when
  // the file cannot be opened, stat'ed or mapped. An empty file maps to size() == 0, data() == nullptr.
  explicit MappedFile(const std::filesystem::path& path);
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  const std::byte* data() const { return data_; }
  size_t size() const { return size_; }
  std::span<const std::byte> bytes() const { return {data_, size_}; }
  const std::filesystem::path& path() const { return path_; }
  bool is_mapped() const { return data_ != nullptr; }

  // madvise() hint over the whole mapping or [offset, offset + length) (rounded out to pages).
  // Returns false if the kernel refused (a hint: never fatal).
  bool advise(Advice advice) const;
  bool advise(Advice advice, size_t offset, size_t length) const;

  // Unmaps now (also done by the destructor).
  void reset();

 private:
  std::filesystem::path path_;
  std::byte* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace transformers::memory
