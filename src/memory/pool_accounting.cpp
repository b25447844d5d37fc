// PoolAllocator's bookkeeping: owners, their policies, charges and the stats reports.
#include <algorithm>

#include "memory/pool_allocator.hpp"

namespace transformers::memory {

ReleasePolicy PoolAllocator::policy_of(uint64_t owner) const {
  auto it = owners_.find(owner);
  if (it != owners_.end() && it->second.policy) return *it->second.policy;
  return options_.policy;
}

void PoolAllocator::charge(uint64_t owner, size_t bytes) {
  Owner& o = owners_[owner];
  o.in_use += bytes;
  o.peak = std::max(o.peak, o.in_use);
  stats_.in_use += bytes;
  stats_.peak_in_use = std::max(stats_.peak_in_use, stats_.in_use);
}

void PoolAllocator::credit(uint64_t owner, size_t bytes) {
  auto it = owners_.find(owner);
  Owner& o = it->second;  // charged at allocation, so present
  o.in_use -= bytes;
  --o.live_blocks;
  stats_.in_use -= bytes;
  if (o.retired && o.live_blocks == 0) owners_.erase(it);
}

void PoolAllocator::set_options(const AllocatorOptions& options) {
  std::lock_guard lock(mu_);
  options_ = options;
}

AllocatorOptions PoolAllocator::options() const {
  std::lock_guard lock(mu_);
  return options_;
}

uint64_t PoolAllocator::register_owner(std::string name, std::optional<ReleasePolicy> policy) {
  std::lock_guard lock(mu_);
  const uint64_t id = next_owner_++;
  Owner& o = owners_[id];
  o.name = std::move(name);
  o.registered = true;
  o.policy = policy;
  return id;
}

void PoolAllocator::unregister_owner(uint64_t id) {
  std::lock_guard lock(mu_);
  auto it = owners_.find(id);
  if (id == 0 || it == owners_.end()) return;
  // Keep the policy: blocks still held are freed under the policy they were allocated with.
  it->second.registered = false;
  it->second.retired = true;
  if (it->second.live_blocks == 0) owners_.erase(it);
}

void PoolAllocator::set_owner_policy(uint64_t id, std::optional<ReleasePolicy> policy) {
  std::lock_guard lock(mu_);
  owners_[id].policy = policy;
}

void PoolAllocator::reset_peak() {
  std::lock_guard lock(mu_);
  stats_.peak_in_use = stats_.in_use;
  for (auto& [id, o] : owners_) o.peak = o.in_use;
}

std::string PoolAllocator::last_refusal() const {
  std::lock_guard lock(mu_);
  return refusal_;
}

AllocatorStats PoolAllocator::stats() const {
  std::lock_guard lock(mu_);
  AllocatorStats s = stats_;
  s.cached = s.reserved - s.in_use;
  return s;
}

OwnerMemory PoolAllocator::describe(uint64_t id, const Owner& o) const {
  OwnerMemory m;
  m.id = id;
  m.name = o.name.empty() ? "owner " + std::to_string(id) : o.name;
  m.registered = o.registered || id == 0;
  m.policy = o.policy;
  m.in_use = o.in_use;
  m.peak_in_use = o.peak;
  m.allocations = o.allocations;
  m.live_blocks = o.live_blocks;
  return m;
}

OwnerMemory PoolAllocator::owner(uint64_t id) const {
  std::lock_guard lock(mu_);
  auto it = owners_.find(id);
  if (it == owners_.end()) {
    OwnerMemory m;
    m.id = id;
    return m;
  }
  return describe(id, it->second);
}

std::vector<OwnerMemory> PoolAllocator::owners() const {
  std::lock_guard lock(mu_);
  std::vector<OwnerMemory> v;
  for (const auto& [id, o] : owners_) v.push_back(describe(id, o));
  std::sort(v.begin(), v.end(), [](const OwnerMemory& a, const OwnerMemory& b) { return a.id < b.id; });
  return v;
}

}  // namespace transformers::memory
