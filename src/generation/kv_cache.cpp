#include "generation/kv_cache.hpp"

#include <algorithm>
#include <cstring>
#include <utility>

#include "generation/cache_accounting.hpp"
#include "memory/pool_allocator.hpp"
#include "transformers/error.hpp"

namespace transformers::generation {

OwnedBuffer::OwnedBuffer(size_t bytes, uint64_t owner, const char* what) : bytes_(bytes) {
  const uint64_t previous = memory::current_owner();
  memory::set_current_owner(owner);
  // Never a null buffer, even for 0 bytes: ONNX Runtime gets a valid pointer for an empty tensor.
  data_ = memory::pool().allocate(bytes ? bytes : memory::kAlignment);
  memory::set_current_owner(previous);
  if (!data_)
    throw BudgetExceededError(std::string("generation: the ") + what + " (" + std::to_string(bytes) +
                              " bytes) was refused by the memory limit: " + memory::pool().last_refusal());
}
OwnedBuffer::OwnedBuffer(OwnedBuffer&& o) noexcept
    : data_(std::exchange(o.data_, nullptr)), bytes_(std::exchange(o.bytes_, 0)) {}
OwnedBuffer& OwnedBuffer::operator=(OwnedBuffer&& o) noexcept {
  if (this != &o) {
    if (data_) memory::pool().deallocate(data_);
    data_ = std::exchange(o.data_, nullptr);
    bytes_ = std::exchange(o.bytes_, 0);
  }
  return *this;
}
OwnedBuffer::~OwnedBuffer() {
  if (data_) memory::pool().deallocate(data_);
}

KvCache::KvCache(std::vector<CacheTensorSpec> specs, size_t batch, uint64_t owner, size_t max_tokens)
    : batch_(batch), capacity_(max_tokens), owner_(owner) {
  // Sized once for the longest the call may reach: the budget refuses a call that cannot fit before it
  // starts, nothing is copied to grow, and pages never written (an early eos) never become resident.
  for (auto& s : specs) {
    const size_t bytes = batch_ * static_cast<size_t>(s.heads * s.head_dim) * capacity_ * sizeof(float);
    Tensor t{std::move(s), OwnedBuffer(bytes, owner_, "key/value cache"), OwnedBuffer(bytes, owner_, "key/value cache"), {}, {}};
    tensors_.push_back(std::move(t));
  }
  cache_acquired(owner_, bytes(), bytes_per_token());
}

KvCache::~KvCache() { cache_released(owner_, bytes()); }

void KvCache::bind(std::vector<InputTensor>& inputs, std::vector<OutputBuffer>& outputs, size_t new_tokens) {
  if (length_ + new_tokens > capacity_)
    throw Error("generation: the key/value cache holds " + std::to_string(capacity_) + " positions, step needs " +
                std::to_string(length_ + new_tokens));
  for (auto& t : tensors_) {
    const auto b = static_cast<int64_t>(batch_);
    t.past_dims = {b, t.spec.heads, static_cast<int64_t>(length_), t.spec.head_dim};
    t.present_dims = {b, t.spec.heads, static_cast<int64_t>(length_ + new_tokens), t.spec.head_dim};
    const size_t row = batch_ * static_cast<size_t>(t.spec.heads * t.spec.head_dim) * sizeof(float);
    inputs.push_back({t.spec.past, ElementType::float32, t.past_dims, t.past.data(), row * length_});
    outputs.push_back({t.spec.present, ElementType::float32, t.present_dims, t.present.data(), t.present.bytes()});
  }
}

void KvCache::advance(size_t new_tokens) {
  for (auto& t : tensors_) std::swap(t.past, t.present);
  length_ += new_tokens;
}

void KvCache::reorder(std::span<const size_t> sources) {
  bool identity = true;
  for (size_t r = 0; r < sources.size(); ++r) identity = identity && sources[r] == r;
  if (identity) return;
  for (auto& t : tensors_) {
    const size_t row = static_cast<size_t>(t.spec.heads * t.spec.head_dim) * length_;
    for (size_t r = 0; r < batch_; ++r)
      std::memcpy(t.present.as<float>() + r * row, t.past.as<float>() + sources[r] * row, row * sizeof(float));
    std::swap(t.past, t.present);
  }
}

uint64_t KvCache::bytes() const {
  uint64_t n = 0;
  for (const auto& t : tensors_) n += t.past.bytes() + t.present.bytes();
  return n;
}

uint64_t KvCache::bytes_per_token() const {
  uint64_t n = 0;
  for (const auto& t : tensors_) n += batch_ * static_cast<uint64_t>(t.spec.heads * t.spec.head_dim) * sizeof(float);
  return n;
}

}  // namespace transformers::generation
