#include "generation/cache_accounting.hpp"

#include <map>
#include <mutex>

namespace transformers::generation {

namespace {
std::mutex mutex;
std::map<uint64_t, CacheFigures>& figures() {
  static auto* m = new std::map<uint64_t, CacheFigures>;  // leaked: used until the process ends
  return *m;
}
}  // namespace

void cache_acquired(uint64_t owner, uint64_t bytes, uint64_t bytes_per_token) {
  std::lock_guard lock(mutex);
  CacheFigures& f = figures()[owner];
  f.bytes += bytes;
  f.peak_bytes = std::max(f.peak_bytes, f.bytes);
  if (bytes_per_token) f.bytes_per_token = bytes_per_token;
}

void cache_released(uint64_t owner, uint64_t bytes) {
  std::lock_guard lock(mutex);
  CacheFigures& f = figures()[owner];
  f.bytes = f.bytes >= bytes ? f.bytes - bytes : 0;
}

CacheFigures cache_figures(uint64_t owner) {
  std::lock_guard lock(mutex);
  const auto it = figures().find(owner);
  return it == figures().end() ? CacheFigures{} : it->second;
}

}  // namespace transformers::generation
