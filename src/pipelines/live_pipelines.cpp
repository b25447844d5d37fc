#include "pipelines/live_pipelines.hpp"

#include <map>
#include <mutex>

namespace transformers::live_pipelines {

namespace {
std::mutex g_mutex;
std::map<const void*, Entry>& entries() {
  static auto* m = new std::map<const void*, Entry>;  // leaked: pipelines may die during static destruction
  return *m;
}
}  // namespace

void add(const void* pipeline, Entry entry) {
  std::lock_guard lock(g_mutex);
  entries()[pipeline] = std::move(entry);
}

void remove(const void* pipeline) {
  std::lock_guard lock(g_mutex);
  entries().erase(pipeline);
}

std::vector<Entry> snapshot() {
  std::lock_guard lock(g_mutex);
  std::vector<Entry> out;
  for (const auto& [key, e] : entries()) out.push_back(e);
  return out;
}

}  // namespace transformers::live_pipelines
