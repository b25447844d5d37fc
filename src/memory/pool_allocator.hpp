// The process allocator behind ONNX Runtime's CPU buffers (internal; no ONNX Runtime types here).
// Large blocks come straight from mmap so that freeing them can really return pages to the OS;
// small ones are carved from slabs in size classes. Every block remembers its owner, so a free
// from any thread is charged back to whoever allocated it. See docs/memory-allocator.md.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "transformers/memory.hpp"

namespace transformers::memory {

// The owner new allocations on this thread are charged to (0 = unattributed).
uint64_t current_owner();
void set_current_owner(uint64_t owner);

inline constexpr size_t kAlignment = 64;  // what ONNX Runtime asks of CPU buffers

class PoolAllocator {
 public:
  PoolAllocator();
  ~PoolAllocator();
  PoolAllocator(const PoolAllocator&) = delete;
  PoolAllocator& operator=(const PoolAllocator&) = delete;

  // 64-byte aligned; charged to current_owner(). nullptr for size 0 or when the OS refuses.
  void* allocate(size_t size);
  // Counted separately: ONNX Runtime calls Reserve for session-initialisation buffers (initializers).
  void* reserve(size_t size);
  void deallocate(void* p);
  // Bytes the allocator holds for block `p` (its capacity); 0 if `p` is not ours.
  size_t block_size(const void* p) const;

  void set_options(const AllocatorOptions& options);
  AllocatorOptions options() const;

  uint64_t register_owner(std::string name, std::optional<ReleasePolicy> policy);
  void unregister_owner(uint64_t id);
  void set_owner_policy(uint64_t id, std::optional<ReleasePolicy> policy);

  AllocatorStats stats() const;
  void reset_peak();
  std::string last_refusal() const;
  // fault_injection.hpp
  void inject_fault(uint64_t nth, bool every);
  uint64_t injected_faults() const;
  OwnerMemory owner(uint64_t id) const;
  std::vector<OwnerMemory> owners() const;

  // Unmaps every free cached block and empty slab now, whatever its policy; returns the bytes.
  uint64_t release_unused();
  // Unmaps cached blocks and empty slabs whose deferred idle time has passed; returns the bytes.
  uint64_t release_expired();

 private:
  using Clock = std::chrono::steady_clock;
  struct Slab;
  struct Region {  // one mapping: a large block or a slab
    uintptr_t base = 0;
    size_t size = 0;
    Slab* slab = nullptr;      // null for a large block
    uint64_t owner = 0;        // large block: who holds it
    size_t charged = 0;        // large block: the pages asked for (size is its size class, mapped whole)
    bool cached = false;       // large block: free, kept for reuse
    Clock::time_point expiry;  // cached / empty slab under deferred: when it goes back to the OS
    bool expires = false;
  };
  struct Slab {
    Region* region = nullptr;
    int cls = 0;
    size_t slot_size = 0;
    std::vector<uint32_t> free_slots;  // stack of free slot indices
    std::vector<uint64_t> owners;      // owner per slot
    uint32_t live = 0;
  };
  struct Owner {
    std::string name;
    bool registered = false;
    bool retired = false;  // unregistered: the row goes once its last block is freed
    std::optional<ReleasePolicy> policy;
    uint64_t in_use = 0, peak = 0, allocations = 0, live_blocks = 0;
  };

  void* allocate_locked(size_t size, uint64_t owner);
  bool over_limit_locked(size_t size);
  void* allocate_large(size_t size, uint64_t owner);
  void* allocate_small(size_t size, uint64_t owner);
  void free_large(Region* r);
  void free_small(Region* r, uintptr_t p);
  Region* find_region(uintptr_t p) const;
  ReleasePolicy policy_of(uint64_t owner) const;
  void charge(uint64_t owner, size_t bytes);
  void credit(uint64_t owner, size_t bytes);
  void unmap_region(Region* r);
  void on_slab_empty(Slab* s, const ReleasePolicy& policy);
  void schedule(Region* r, const ReleasePolicy& p);
  uint64_t release_expired_locked(Clock::time_point now);
  void maybe_release_expired();
  void reaper_loop();
  OwnerMemory describe(uint64_t id, const Owner& o) const;

  mutable std::mutex mu_;
  AllocatorOptions options_;
  std::map<uintptr_t, std::unique_ptr<Region>> regions_;  // by base address
  std::multimap<size_t, Region*> cache_;                   // free large blocks by size
  std::vector<std::vector<Slab*>> partial_;                // per class: slabs with a free slot
  size_t empty_immediate_bytes_ = 0;                       // empty slabs kept under `immediate`
  std::unordered_map<uint64_t, Owner> owners_;
  uint64_t next_owner_ = 1;
  AllocatorStats stats_;
  std::string refusal_;  // why the last over-limit allocation was refused
  // Fault injection (tests): refuse allocation number fault_nth_ counted from arming (every: each nth).
  uint64_t fault_nth_ = 0, fault_seen_ = 0, faults_ = 0;
  bool fault_every_ = false;
  Clock::time_point next_expiry_ = Clock::time_point::max();
  // Background reaper: started when something is first kept under `deferred`.
  std::condition_variable reaper_cv_;
  std::thread reaper_;
  bool stopping_ = false;
};

// The process-wide instance (never destroyed: ONNX Runtime may free into it during static destruction).
PoolAllocator& pool();

}  // namespace transformers::memory
