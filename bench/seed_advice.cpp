// The articles' advice, measured (docs/seed-scenario.md): a long-lived worker that keeps its pipelines
// (deferred reuse) against a one-shot worker recycled after every call, in thread and process workers —
// per-call time, start-up cost, memory at rest — and the scenario under a quota (the process worker's
// memory cap) that it must respect.
//   build/bench/seed_advice TRANSLIT_DIR [CALLS=20] [CAP_MIB=512] [CLASSIFIER_DIR=tests/fixtures/models/tiny-bert-sentiment]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "transformers/transformers.hpp"
#include "transformers/worker.hpp"

namespace tf = transformers;
using Clock = std::chrono::steady_clock;

namespace {
double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }
double mib(uint64_t b) { return static_cast<double>(b) / (1024.0 * 1024.0); }
double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[v.size() / 2];
}

tf::WorkerCall translit_call(const char* model) {
  tf::WorkerCall c;
  c.task = "translation";
  c.model = model;
  c.inputs = {"Москва", "объявление", "подъезд", "ёлка", "Щукино", "Евгений", "детство", "Хабаровск"};
  return c;
}

tf::WorkerOptions options(tf::WorkerKind kind, tf::ReleasePolicy policy) {
  tf::WorkerOptions o;
  o.kind = kind;
  o.executable = TRANSFORMERS_CLI_PATH;
  o.release_policy = policy;
  return o;
}

// Host RSS plus, for a live process worker, the child's.
uint64_t total_rss(tf::Worker* w) {
  uint64_t r = tf::process_memory().rss;
  if (w && w->alive() && w->kind() == tf::WorkerKind::process) r += w->memory_report().process.rss;
  return r;
}

void long_lived(tf::WorkerKind kind, const tf::WorkerCall& call, int calls) {
  const auto t0 = Clock::now();
  auto w = tf::make_worker(options(kind, tf::ReleasePolicy::deferred(2000)));
  w->load(call.task, call.model).get();
  const double startup = ms_since(t0);
  std::vector<double> per_call;
  for (int i = 0; i < calls; ++i) {
    const auto t = Clock::now();
    w->submit(call).get();
    per_call.push_back(ms_since(t));
  }
  const double at_rest = mib(total_rss(w.get()));
  w->unload(call.task, call.model).get();
  const double unloaded = mib(total_rss(w.get()));
  std::this_thread::sleep_for(std::chrono::milliseconds(2300));
  const double idle = mib(total_rss(w.get()));
  w->terminate();
  std::printf("%-8s long-lived, deferred:2000  start+load %7.1f ms  per call p50 %7.1f ms  at rest (loaded) %6.1f MiB"
              "  unloaded %6.1f  after idle %6.1f  terminated %6.1f\n",
              tf::to_string(kind), startup, median(per_call), at_rest, unloaded, idle, mib(total_rss(nullptr)));
}

void one_shot(tf::WorkerKind kind, const tf::WorkerCall& call, int calls) {
  std::vector<double> per_call;
  double peak = 0;
  for (int i = 0; i < calls; ++i) {
    const auto t = Clock::now();
    auto w = tf::make_worker(options(kind, tf::ReleasePolicy::immediate()));
    w->submit(call).get();  // loads on first use
    peak = std::max(peak, mib(total_rss(w.get())));
    w->terminate();
    per_call.push_back(ms_since(t));
  }
  std::printf("%-8s one-shot, immediate        start+load+call+terminate p50 %7.1f ms  while running %6.1f MiB"
              "  at rest %6.1f MiB\n",
              tf::to_string(kind), median(per_call), peak, mib(total_rss(nullptr)));
}

void under_cap(const tf::WorkerCall& call, uint64_t cap_mib) {
  tf::WorkerOptions o = options(tf::WorkerKind::process, tf::ReleasePolicy::immediate());
  o.memory_limit_bytes = cap_mib << 20;
  auto w = tf::make_worker(o);
  w->submit(call).get();
  const tf::MemoryReport r = w->memory_report();
  w->terminate();
  std::printf("process  under a %llu MiB cap (RLIMIT_AS): answered; child peak RSS %.1f MiB (VmHWM)\n",
              static_cast<unsigned long long>(cap_mib), mib(r.process.vm_hwm));
  tf::WorkerOptions tight = o;
  tight.memory_limit_bytes = 16u << 20;
  try {  // the child may not even start under it: that is the clean failure too
    auto small = tf::make_worker(tight);
    small->submit(call).get();
    small->terminate();
    std::printf("process  under a 16 MiB cap: answered (the cap was not enforced)\n");
  } catch (const tf::Error& e) {
    std::printf("process  under a 16 MiB cap: fails cleanly: %s\n", e.what());
  }
}
// What a pipeline needs at its peak under a manager: its accounted bytes (weights, shared mappings once) plus
// the most working memory its call held.
uint64_t peak_need(const char* task, const char* model, const std::vector<std::string>& inputs) {
  tf::PipelineManager probe;
  auto p = probe.get_or_load(task, model);
  (*p)(inputs);
  uint64_t peak = 0, now = 0;
  for (const auto& row : tf::memory_report().pipelines) {
    peak += row.peak_in_use;
    now += row.in_use;
  }
  return probe.accounted_bytes() - now + peak;
}

// The scenario under the manager's budget: the larger pipeline's peak need + 1 MiB. The allocator is capped at
// the budget minus the weights, so no call can take the total past it (a load that did not fit would evict
// an idle pipeline first).
void under_budget(const tf::WorkerCall& translit, const char* classifier) {
  const std::vector<std::string> texts = {"I love this!", "Terrible."};
  const uint64_t a = peak_need("translation", translit.model.c_str(), translit.inputs);
  const uint64_t b = peak_need("text-classification", classifier, texts);
  const uint64_t budget = std::max(a, b) + (1u << 20);
  tf::PipelineManager manager({.budget_bytes = budget});
  {
    auto t = manager.get_or_load("translation", translit.model);
    (*t)(translit.inputs);
  }
  const uint64_t after_first = manager.accounted_bytes();
  {
    auto c = manager.get_or_load("text-classification", classifier);
    (*c)(texts);
  }
  std::printf("manager  budget %.1f MiB (peaks: translation %.1f, classifier %.1f): accounted %.1f after the "
              "translation, %.1f after the classifier; %llu eviction(s), %zu pipeline(s) live\n",
              mib(budget), mib(a), mib(b), mib(after_first), mib(manager.accounted_bytes()),
              static_cast<unsigned long long>(manager.evictions()), manager.pipelines().size());
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: seed_advice TRANSLIT_DIR [CALLS=20] [CAP_MIB=512] [CLASSIFIER_DIR]\n");
    return 2;
  }
  const tf::WorkerCall call = translit_call(argv[1]);
  const int calls = argc > 2 ? std::atoi(argv[2]) : 20;
  const uint64_t cap = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 512;
  try {
    // The first ONNX Runtime use of this process stays for its life: do it before measuring.
    one_shot(tf::WorkerKind::thread, call, 1);
    std::printf("host RSS before: %.1f MiB; 8 words per call\n", mib(total_rss(nullptr)));
    for (auto kind : {tf::WorkerKind::thread, tf::WorkerKind::process}) {
      long_lived(kind, call, calls);
      one_shot(kind, call, std::max(3, calls / 4));
    }
    under_cap(call, cap);
    under_budget(call, argc > 4 ? argv[4] : "tests/fixtures/models/tiny-bert-sentiment");
  } catch (const tf::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
