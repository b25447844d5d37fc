// The public face of the process allocator (transformers/memory.hpp): options, owners, stats, trim.
#include <malloc.h>

#include <charconv>

#include "memory/pool_allocator.hpp"
#include "transformers/error.hpp"
#include "transformers/memory.hpp"

namespace transformers {

std::string to_string(const ReleasePolicy& policy) {
  switch (policy.kind) {
    case ReleaseKind::immediate: return "immediate";
    case ReleaseKind::deferred: return "deferred:" + std::to_string(policy.idle_ms);
    case ReleaseKind::retain: return "retain";
  }
  return "immediate";
}

ReleasePolicy parse_release_policy(std::string_view text) {
  if (text == "immediate") return ReleasePolicy::immediate();
  if (text == "retain") return ReleasePolicy::retain();
  constexpr std::string_view prefix = "deferred:";
  if (text.substr(0, prefix.size()) == prefix) {
    const std::string_view ms = text.substr(prefix.size());
    uint32_t v = 0;
    auto [end, ec] = std::from_chars(ms.data(), ms.data() + ms.size(), v);
    if (ec == std::errc() && end == ms.data() + ms.size() && !ms.empty()) return ReleasePolicy::deferred(v);
  }
  throw InvalidInputError("release policy must be immediate, deferred:<idle ms> or retain, got '" +
                          std::string(text) + "'");
}

void configure_allocator(const AllocatorOptions& options) { memory::pool().set_options(options); }
AllocatorOptions allocator_options() { return memory::pool().options(); }

uint64_t register_memory_owner(std::string name, std::optional<ReleasePolicy> policy) {
  return memory::pool().register_owner(std::move(name), policy);
}
void unregister_memory_owner(uint64_t id) { memory::pool().unregister_owner(id); }
void set_owner_release_policy(uint64_t id, std::optional<ReleasePolicy> policy) {
  memory::pool().set_owner_policy(id, policy);
}

AllocatorStats allocator_stats() { return memory::pool().stats(); }
void reset_allocator_peak() { memory::pool().reset_peak(); }
std::string last_refusal() { return memory::pool().last_refusal(); }
OwnerMemory owner_memory(uint64_t id) { return memory::pool().owner(id); }
std::vector<OwnerMemory> owners_memory() { return memory::pool().owners(); }

TrimReport trim() {
  TrimReport r;
  r.rss_anon_before = process_memory().rss_anon;
  r.allocator_bytes = memory::pool().release_unused();
  r.heap_trimmed = malloc_trim(0) != 0;
  r.rss_anon_after = process_memory().rss_anon;
  return r;
}

}  // namespace transformers
