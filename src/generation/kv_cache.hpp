// The key/value cache of one generation call, owned by our allocator and charged to the pipeline: one pair of
// buffers per cache tensor (the past being read, the present ONNX Runtime writes through I/O binding),
// swapped after every step. Both are sized once, for the positions the call may reach, so a step allocates
// nothing and copies nothing. A buffer our allocator refuses (the memory budget) is a BudgetExceededError, and
// everything the call held is freed with the cache. Internal.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "transformers/engine.hpp"

namespace transformers::generation {

// A block from our allocator, charged to `owner`; BudgetExceededError when refused.
class OwnedBuffer {
 public:
  OwnedBuffer() = default;
  OwnedBuffer(size_t bytes, uint64_t owner, const char* what);
  OwnedBuffer(OwnedBuffer&& o) noexcept;
  OwnedBuffer& operator=(OwnedBuffer&& o) noexcept;
  ~OwnedBuffer();
  void* data() const { return data_; }
  size_t bytes() const { return bytes_; }
  template <class T>
  T* as() const { return static_cast<T*>(data_); }

 private:
  void* data_ = nullptr;
  size_t bytes_ = 0;
};

// One cache tensor: [batch, heads, length, head_dim] float32.
struct CacheTensorSpec {
  std::string past;     // graph input ("past_key_values.0.key", "past_key_values.0.decoder.key")
  std::string present;  // graph output ("present.0.key")
  int64_t heads = 0, head_dim = 0;
};

class KvCache {
 public:
  // `max_tokens`: the most positions the call can reach; allocated now.
  KvCache(std::vector<CacheTensorSpec> specs, size_t batch, uint64_t owner, size_t max_tokens);
  ~KvCache();
  KvCache(const KvCache&) = delete;
  KvCache& operator=(const KvCache&) = delete;
  size_t length() const { return length_; }  // positions held (the past of the next step)
  // The past inputs of the next step, and the present outputs bound for `new_tokens` more positions.
  void bind(std::vector<InputTensor>& inputs, std::vector<OutputBuffer>& outputs, size_t new_tokens);
  // After a step that wrote `new_tokens` positions: the present becomes the past.
  void advance(size_t new_tokens);
  // Beam search: row r of the cache becomes (a copy of) row sources[r], through the spare buffer.
  void reorder(std::span<const size_t> sources);
  uint64_t bytes() const;            // held now (both buffers of every tensor)
  uint64_t bytes_per_token() const;  // one position of every tensor, for the whole batch

 private:
  struct Tensor {
    CacheTensorSpec spec;
    OwnedBuffer past, present;
    std::vector<int64_t> past_dims, present_dims;
  };
  std::vector<Tensor> tensors_;
  size_t batch_ = 0, capacity_ = 0, length_ = 0;
  uint64_t owner_ = 0;
};

}  // namespace transformers::generation
