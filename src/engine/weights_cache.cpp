// The weights cache folder as a whole: what it holds, how big it is, and least-recently-used eviction
// (issue 12). Entries: optimized models (<name>.opt/ folders) and weight sidecars (<name>.onnx + .weights).
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <map>

#include "engine/weights_sidecar.hpp"
#include "transformers/engine.hpp"

namespace transformers {

namespace fs = std::filesystem;

namespace {
std::atomic<uint64_t> g_limit{0};  // 0 = no limit

uint64_t tree_bytes(const fs::path& p) {
  std::error_code ec;
  if (fs::is_regular_file(p, ec)) return fs::file_size(p, ec);
  uint64_t n = 0;
  for (const auto& e : fs::recursive_directory_iterator(p, ec))
    if (e.is_regular_file(ec)) n += e.file_size(ec);
  return n;
}

fs::file_time_type mtime_or_min(const fs::path& p) {
  std::error_code ec;
  const auto t = fs::last_write_time(p, ec);
  return ec ? fs::file_time_type::min() : t;
}

fs::path dir_or_default(const fs::path& dir) { return dir.empty() ? engine::sidecar::default_cache_dir() : dir; }

bool ends_with(const std::string& s, const char* suffix) {
  const size_t n = std::char_traits<char>::length(suffix);
  return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}
}  // namespace

fs::path default_weights_cache_dir() { return engine::sidecar::default_cache_dir(); }

std::vector<WeightsCacheEntry> weights_cache_entries(const fs::path& dir) {
  const fs::path root = dir_or_default(dir);
  std::vector<WeightsCacheEntry> out;
  std::map<std::string, WeightsCacheEntry> sidecars;  // stem -> the .onnx + .weights pair
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(root, ec)) {
    const std::string name = e.path().filename().string();
    if (ends_with(name, ".opt") && e.is_directory(ec)) {
      // The manifest's mtime is the last use (touched on every hit).
      out.push_back({e.path(), "optimized", tree_bytes(e.path()), mtime_or_min(e.path() / "manifest")});
    } else if (ends_with(name, ".onnx") || ends_with(name, ".weights")) {
      WeightsCacheEntry& s = sidecars[e.path().stem().string()];
      s.path = root / e.path().stem();
      s.kind = "sidecar";
      s.bytes += tree_bytes(e.path());
      if (ends_with(name, ".onnx")) s.last_used = mtime_or_min(e.path());  // touched on every hit
    }
  }
  for (auto& [stem, s] : sidecars) out.push_back(std::move(s));
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.last_used > b.last_used; });
  return out;
}

uint64_t weights_cache_bytes(const fs::path& dir) {
  uint64_t n = 0;
  for (const auto& e : weights_cache_entries(dir)) n += e.bytes;
  return n;
}

namespace {
void remove_entry(const WeightsCacheEntry& e) {
  std::error_code ec;
  if (e.kind == "optimized") {
    fs::remove_all(e.path, ec);
  } else {
    fs::remove(fs::path(e.path.string() + ".onnx"), ec);
    fs::remove(fs::path(e.path.string() + ".weights"), ec);
  }
}
}  // namespace

size_t prune_weights_cache(uint64_t max_bytes, const fs::path& dir) {
  auto entries = weights_cache_entries(dir);  // most recently used first
  uint64_t total = 0;
  size_t removed = 0;
  for (const auto& e : entries) {
    total += e.bytes;
    // The newest entry always stays, even alone over the limit: it is what the caller just loaded.
    if (total > max_bytes && &e != &entries.front()) {
      remove_entry(e);
      total -= e.bytes;
      ++removed;
    }
  }
  return removed;
}

void clear_weights_cache(const fs::path& dir) {
  for (const auto& e : weights_cache_entries(dir)) remove_entry(e);
}

void set_weights_cache_limit(uint64_t max_bytes) { g_limit = max_bytes; }

uint64_t weights_cache_limit() {
  if (const uint64_t l = g_limit.load()) return l;
  // TRANSFORMERS_CPP_CACHE_MAX_MB for programs that cannot call set_weights_cache_limit().
  if (const char* v = std::getenv("TRANSFORMERS_CPP_CACHE_MAX_MB"); v && *v) {
    char* end = nullptr;
    const unsigned long long mb = std::strtoull(v, &end, 10);
    if (end && *end == '\0') return static_cast<uint64_t>(mb) << 20;
  }
  return 0;
}

}  // namespace transformers
