// What the operating system sees of this process's memory (Linux /proc).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace transformers {

struct ProcessMemory {
  uint64_t rss = 0;        // VmRSS, bytes
  uint64_t rss_anon = 0;   // RssAnon: private heap, stacks, anonymous mmaps
  uint64_t rss_file = 0;   // RssFile: file-backed pages (libraries, mapped weights)
  uint64_t rss_shmem = 0;  // RssShmem
  uint64_t pss = 0;        // Pss from smaps_rollup (0 where unavailable)
  uint64_t vm_hwm = 0;     // VmHWM: peak RSS
};

// Reads /proc/self/status and /proc/self/smaps_rollup. Never throws; missing fields stay 0.
ProcessMemory process_memory();

// Returns freed C-heap pages to the OS (glibc malloc_trim). Returns true if memory was released.
bool trim_heap();

// ---- Our allocator inside ONNX Runtime (docs/memory-allocator.md) ----

// What happens to memory once it is freed.
enum class ReleaseKind {
  immediate,  // freed large blocks (and empty slabs beyond a 1 MiB spare) go back to the OS at once
  deferred,   // kept for ANY owner to reuse; returned to the OS after idle_ms without reuse
  retain,     // kept until trim()
};

struct ReleasePolicy {
  ReleaseKind kind = ReleaseKind::immediate;
  uint32_t idle_ms = 0;  // deferred only
  static ReleasePolicy immediate() { return {}; }
  static ReleasePolicy deferred(uint32_t ms) { return {ReleaseKind::deferred, ms}; }
  static ReleasePolicy retain() { return {ReleaseKind::retain, 0}; }
  bool operator==(const ReleasePolicy&) const = default;
};

// "immediate", "deferred:500", "retain".
std::string to_string(const ReleasePolicy& policy);
// Parses the same forms; throws InvalidInputError on anything else.
ReleasePolicy parse_release_policy(std::string_view text);

struct AllocatorOptions {
  // Sessions created while true use our allocator (ONNX Runtime's CPU arena off); false = ONNX
  // Runtime's own arena, as before. The environment variable TRANSFORMERS_ALLOCATOR=ort sets false
  // at start-up (for A/B benchmarks of unchanged programs).
  bool enabled = true;
  ReleasePolicy policy;                 // runtime default; owners may override
  size_t large_threshold = 64u << 10;   // blocks this size or bigger come straight from mmap
  // Hard cap on bytes in use (0 = none): an allocation that would pass it is refused, the inference
  // that asked fails with BudgetExceededError, and the process goes on. PipelineManager sets it from
  // its budget.
  uint64_t limit_bytes = 0;
};

// Applies from the next allocation / free / session creation on.
void configure_allocator(const AllocatorOptions& options);
AllocatorOptions allocator_options();

// Process totals. reserved = bytes mapped from the OS; in_use = capacity of live blocks;
// cached = reserved - in_use (free slots, empty slabs, free large blocks kept by policy).
struct AllocatorStats {
  uint64_t reserved = 0, in_use = 0, peak_in_use = 0, cached = 0;
  uint64_t allocations = 0;        // Alloc + Reserve calls served
  uint64_t reserves = 0;           // of which Reserve (ONNX Runtime: session-initialisation buffers)
  uint64_t large_allocations = 0;  // of which served by a whole mapping
  uint64_t frees = 0, live_blocks = 0;
  uint64_t os_maps = 0, os_unmaps = 0, cache_hits = 0;
  uint64_t refused = 0;  // allocations refused by limit_bytes
};

struct OwnerMemory {
  uint64_t id = 0;
  std::string name;
  bool registered = false;
  std::optional<ReleasePolicy> policy;  // none = the runtime default
  uint64_t in_use = 0, peak_in_use = 0, allocations = 0, live_blocks = 0;
};

// Owners are accounting ids (SessionOptions::memory_owner). 0 is "unattributed" and always exists.
uint64_t register_memory_owner(std::string name, std::optional<ReleasePolicy> policy = std::nullopt);
// Forgets the name and policy; the row stays while the owner still holds blocks.
void unregister_memory_owner(uint64_t id);
void set_owner_release_policy(uint64_t id, std::optional<ReleasePolicy> policy);

AllocatorStats allocator_stats();
// Starts peak_in_use (process and owners) again from what is in use now.
void reset_allocator_peak();
// Why the last allocation was refused ("" if none was).
std::string last_refusal();
OwnerMemory owner_memory(uint64_t id);  // zeros for an id never seen
std::vector<OwnerMemory> owners_memory();

struct TrimReport {
  uint64_t allocator_bytes = 0;  // unmapped by our allocator (exact)
  bool heap_trimmed = false;     // malloc_trim released something
  uint64_t rss_anon_before = 0, rss_anon_after = 0;
  // What the OS saw go: the larger of our exact figure and the RssAnon drop.
  uint64_t released() const {
    const uint64_t drop = rss_anon_before > rss_anon_after ? rss_anon_before - rss_anon_after : 0;
    return drop > allocator_bytes ? drop : allocator_bytes;
  }
};

// Returns every unused byte now: our cached blocks and empty slabs (whatever their policy) and
// the C heap's free pages (malloc_trim(0)).
TrimReport trim();

}  // namespace transformers
