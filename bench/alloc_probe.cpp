// alloc_probe: RSS and allocator figures through a pipeline's life under one release policy
// (docs/memory-allocator.md). One policy per process, so each starts from a clean heap.
//   alloc_probe --model DIR [--policy immediate|deferred:MS|retain|ort] [--runs N] [--seq S]
//               [--copy-weights] [--no-prepack] [--reload]
// --policy ort = ONNX Runtime's own CPU arena (our allocator not used by sessions).
// --copy-weights = file_backed_weights off (ONNX Runtime copies the initializers).
// --reload = after release, load and run the model again (reuse under deferred/retain).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "transformers/memory.hpp"
#include "transformers/pipeline.hpp"

using namespace transformers;
using Clock = std::chrono::steady_clock;

namespace {
double mib(uint64_t b) { return static_cast<double>(b) / (1024.0 * 1024.0); }
double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

std::string phase(const char* name) {
  const ProcessMemory m = process_memory();
  const AllocatorStats s = allocator_stats();
  char buf[320];
  std::snprintf(buf, sizeof buf,
                "\"%s\":{\"rss\":%.1f,\"anon\":%.1f,\"file\":%.1f,\"reserved\":%.1f,\"in_use\":%.1f,\"allocs\":%llu,"
                "\"reserves\":%llu}",
                name, mib(m.rss), mib(m.rss_anon), mib(m.rss_file), mib(s.reserved), mib(s.in_use),
                static_cast<unsigned long long>(s.allocations), static_cast<unsigned long long>(s.reserves));
  std::fprintf(stderr, "%-14s rss %7.1f anon %7.1f file %7.1f | reserved %7.1f in use %7.1f allocs %llu\n", name,
               mib(m.rss), mib(m.rss_anon), mib(m.rss_file), mib(s.reserved), mib(s.in_use),
               static_cast<unsigned long long>(s.allocations));
  return buf;
}
}  // namespace

int main(int argc, char** argv) {
  std::string model, policy = "immediate";
  int runs = 20, seq = 128;
  bool copy_weights = false, reload = false, no_prepack = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (a == "--model") model = next();
    else if (a == "--policy") policy = next();
    else if (a == "--runs") runs = std::stoi(next());
    else if (a == "--seq") seq = std::stoi(next());
    else if (a == "--copy-weights") copy_weights = true;
    else if (a == "--reload") reload = true;
    else if (a == "--no-prepack") no_prepack = true;
    else {
      std::fprintf(stderr, "unknown argument %s\n", a.c_str());
      return 2;
    }
  }
  if (model.empty()) {
    std::fprintf(stderr, "usage: alloc_probe --model DIR [--policy P|ort] [--runs N] [--seq S] [--copy-weights] [--no-prepack] [--reload]\n");
    return 2;
  }
  AllocatorOptions ao;
  ao.enabled = policy != "ort";
  if (ao.enabled) ao.policy = parse_release_policy(policy);
  configure_allocator(ao);

  // Initialise the runtime first (one-time global state, ~10 MiB): the baseline is an initialised process.
  {
    Pipeline warm = pipeline("text-classification", TRANSFORMERS_FIXTURES_DIR "/models/tiny-bert-sentiment");
    warm("warm up");
  }
  trim();
  std::string json = "{\"policy\":\"" + policy + "\",\"copy_weights\":" + (copy_weights ? "true" : "false") +
                     ",\"prepack\":" + (no_prepack ? "false" : "true") + ",";
  json += phase("baseline");

  std::string text;
  for (int i = 0; i < seq - 2; ++i) text += i ? " hello" : "hello";
  PipelineOptions po;
  po.session.file_backed_weights = !copy_weights;
  po.session.prepack_weights = !no_prepack;
  po.session.memory_owner = register_memory_owner("bert");
  double load_ms = 0, first_ms = 0, p50 = 0;
  const uint64_t base_allocs = allocator_stats().allocations, base_reserves = allocator_stats().reserves;
  uint64_t load_allocs = 0, run_allocs = 0, load_reserves = 0;
  {
    auto t0 = Clock::now();
    Pipeline p = pipeline("text-classification", model, po);
    load_ms = ms_since(t0);
    // Global deltas: a pipeline may account under an owner of its own rather than ours.
    load_allocs = allocator_stats().allocations - base_allocs;
    load_reserves = allocator_stats().reserves - base_reserves;
    json += "," + phase("after_load");
    t0 = Clock::now();
    p(text);
    first_ms = ms_since(t0);
    run_allocs = allocator_stats().allocations - base_allocs - load_allocs;
    std::vector<double> lat;
    for (int i = 0; i < runs; ++i) {
      t0 = Clock::now();
      p(text);
      lat.push_back(ms_since(t0));
    }
    std::sort(lat.begin(), lat.end());
    p50 = lat[lat.size() / 2];
    json += "," + phase("after_runs");
  }
  json += "," + phase("after_release");
  if (reload) {
    Pipeline p = pipeline("text-classification", model, po);
    p(text);
    json += "," + phase("after_reload");
  }
  if (reload) json += "," + phase("after_release2");
  if (ao.enabled && ao.policy.kind == ReleaseKind::deferred) {
    std::this_thread::sleep_for(std::chrono::milliseconds(ao.policy.idle_ms + 200));
    json += "," + phase("after_idle");
  }
  const TrimReport t = trim();
  json += "," + phase("after_trim");
  const AllocatorStats st = allocator_stats();
  char buf[400];
  std::snprintf(buf, sizeof buf,
                ",\"load_ms\":%.1f,\"first_run_ms\":%.1f,\"p50_ms\":%.2f,\"load_allocs\":%llu,\"first_run_allocs\":%llu,"
                "\"peak_in_use_mib\":%.1f,\"load_reserves\":%llu,\"trim_allocator_mib\":%.1f,\"trim_released_mib\":%.1f}",
                load_ms, first_ms, p50, static_cast<unsigned long long>(load_allocs),
                static_cast<unsigned long long>(run_allocs), mib(st.peak_in_use),
                static_cast<unsigned long long>(load_reserves), mib(t.allocator_bytes), mib(t.released()));
  json += buf;
  std::printf("%s\n", json.c_str());
  return 0;
}
