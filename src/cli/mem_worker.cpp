// `transformers-cpp mem --worker thread|process`: the same phases as `mem`, with the pipelines inside a
// worker — load, run, dispose, a second pipeline (--then), the idle period of a deferred policy,
// terminate — the host's memory and the worker's side by side, and what the host keeps after terminate().
#include <chrono>
#include <cstdio>
#include <thread>

#include "cli/figures.hpp"
#include "cli/args.hpp"
#include "cli/mem_plot.hpp"
#include "cli/mem_stages.hpp"
#include "cli/options.hpp"
#include "transformers/error.hpp"
#include "transformers/memory_report.hpp"
#include "transformers/worker.hpp"

namespace transformers::cli {

namespace {

struct WorkerPhase {
  std::string name;
  MemoryReport host;
  std::optional<MemoryReport> worker;  // none before the worker starts and after it ends
};

uint64_t pipelines_in_use(const MemoryReport& r) {
  uint64_t n = 0;
  for (const auto& p : r.pipelines) n += p.in_use;
  return n;
}

std::string phase_json(const WorkerPhase& p) {
  return "{\"phase\":\"" + p.name + "\",\"host\":" + p.host.to_json() +
         ",\"worker\":" + (p.worker ? p.worker->to_json() : "null") + "}";
}

// The worker's allocator reuses since the phase before (a second load served from the first's freed
// memory) beside its memory.
void print_phase(const WorkerPhase& p, const WorkerPhase* before, WorkerKind kind) {
  std::printf("%-20s %8.1f %8.1f %8.1f |", p.name.c_str(), mib(p.host.process.rss), mib(p.host.process.rss_anon),
              mib(p.host.process.rss_file));
  if (!p.worker) {
    std::printf(" %8s %8s %8s %8s %8s %8s %7s %9s\n", "-", "-", "-", "-", "-", "-", "-", "-");
    return;
  }
  const MemoryReport& w = *p.worker;
  if (kind == WorkerKind::process) {
    std::printf(" %8.1f %8.1f", mib(w.process.rss), mib(w.process.rss_anon));
  } else {
    std::printf(" %8s %8s", "=host", "=host");  // a thread worker is in the host's process
  }
  const uint64_t hits = w.allocator.cache_hits - (before && before->worker ? before->worker->allocator.cache_hits : 0);
  std::printf(" %8.1f %8.1f %8.1f %8.1f %7llu %9zu\n", mib(w.allocator.reserved), mib(w.allocator.cached),
              mib(pipelines_in_use(w)), mib(w.mapped_weights_bytes), static_cast<unsigned long long>(hits),
              w.pipelines.size());
}

WorkerCall call_of(const MemStage& stage, const PipelineOptions& po) {
  WorkerCall call;
  call.task = stage.task;
  call.model = stage.model;
  call.pipeline_options = po;
  call.inputs = stage.inputs;
  return call;
}
}  // namespace

int mem_worker_command(const Args& args, WorkerKind kind, const std::vector<MemStage>& stages) {
  const int cycles = args.get_int("cycles", 0), runs = args.get_int("runs", 10);
  if (cycles < 0 || runs < 1) throw InvalidInputError("mem: need --cycles >= 0 and --runs >= 1");
  WorkerOptions wo;
  wo.kind = kind;
  wo.name = std::string("mem-") + to_string(kind);
  if (auto policy = args.get("policy")) wo.release_policy = parse_release_policy(*policy);
  wo.intra_op_threads = args.get_int("threads", 0);
  const PipelineOptions po = pipeline_options(args);
  const WorkerCall first = call_of(stages[0], po);

  std::vector<WorkerPhase> phases;
  std::unique_ptr<Worker> worker;
  auto mark = [&](std::string name) {
    WorkerPhase p{std::move(name), memory_report(), std::nullopt};
    if (worker && worker->alive()) p.worker = worker->memory_report();
    phases.push_back(std::move(p));
  };
  mark("before worker");
  worker = make_worker(wo);
  mark("worker started");
  if (args.has("warm-up")) {
    // ONNX Runtime's one-time start in the worker's process, and the first load's one-time costs, measured
    // apart: the phases after this one show what a pipeline itself takes and gives back.
    worker->submit(first).get();
    worker->unload(first.task, first.model, po).get();
    mark("warmed up");
  }
  worker->load(first.task, first.model, po).get();
  mark("pipeline loaded");
  worker->submit(first).get();
  mark("after first run");
  for (int i = 0; i < runs; ++i) worker->submit(first).get();
  mark("after " + std::to_string(runs) + " runs");
  worker->unload(first.task, first.model, po).get();
  mark("after dispose");
  if (stages.size() > 1) {
    const WorkerCall second = call_of(stages[1], po);
    worker->load(second.task, second.model, po).get();
    mark("second loaded");
    worker->submit(second).get();
    mark("second run");
    worker->unload(second.task, second.model, po).get();
    mark("second disposed");
  }
  const ReleasePolicy policy = wo.release_policy.value_or(allocator_options().policy);
  if (auto wait = idle_wait_ms(policy)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(*wait));
    mark("after idle " + std::to_string(policy.idle_ms) + " ms");
  }
  const WorkerStats stats = worker->stats();
  worker->terminate();
  mark("after terminate");
  worker.reset();
  // One-shot workers: start, load, run, terminate, over and over; the host should stay flat.
  std::vector<double> cycle_rss;
  for (int i = 0; i < cycles; ++i) {
    auto w = make_worker(wo);
    w->submit(first).get();
    w->terminate();
    cycle_rss.push_back(mib(process_memory().rss));
  }

  if (auto plot = args.get("plot")) {
    // A process worker's own memory is the story while it lives; the host's before it starts and after.
    std::vector<MemPhase> shown;
    for (const auto& p : phases)
      shown.push_back({p.name, kind == WorkerKind::process && p.worker ? *p.worker : p.host});
    write_mem_plot(*plot, shown);
  }
  if (args.has("json")) {
    std::string s = std::string("{\"worker\":\"") + to_string(kind) + "\",\"worker_pid\":" + std::to_string(stats.pid) +
                    ",\"policy\":\"" + to_string(policy) + "\",\"phases\":[";
    for (size_t i = 0; i < phases.size(); ++i) s += (i ? "," : "") + phase_json(phases[i]);
    s += "],\"cycle_rss_mib\":[";
    for (size_t i = 0; i < cycle_rss.size(); ++i) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%s%.2f", i ? "," : "", cycle_rss[i]);
      s += buf;
    }
    std::printf("%s]}\n", s.c_str());
    return 0;
  }
  std::printf("%s on %s", first.task.c_str(), first.model.c_str());
  if (stages.size() > 1) std::printf(", then %s on %s", stages[1].task.c_str(), stages[1].model.c_str());
  std::printf(" in a %s worker (pid %d); policy %s\n\n", to_string(kind), stats.pid, to_string(policy).c_str());
  std::printf("%-20s %26s | %s\n", "", "host", "worker");
  std::printf("%-20s %8s %8s %8s | %8s %8s %8s %8s %8s %8s %7s %9s\n", "phase (MiB)", "RSS", "anon", "file", "RSS",
              "anon", "reserved", "cached", "in use", "mapped", "+reused", "pipelines");
  for (size_t i = 0; i < phases.size(); ++i) print_phase(phases[i], i ? &phases[i - 1] : nullptr, kind);
  const double kept = mib(phases.back().host.process.rss) - mib(phases.front().host.process.rss);
  std::printf("\nhost RSS after terminate - before the worker: %+.1f MiB\n", kept);
  if (kind == WorkerKind::thread) {
    std::printf("(a thread worker shares the host's process: its RSS is the host's; reserved / cached are the\n"
                " process allocator's, in use its pipelines'. The first worker of a process also initialises ONNX\n"
                " Runtime, ~25 MiB kept for the process's life: --cycles shows that later workers come back to the\n"
                " same level.)\n");
  }
  if (!cycle_rss.empty()) {
    std::printf("host RSS after each start/run/terminate cycle (MiB):");
    for (double r : cycle_rss) std::printf(" %.1f", r);
    std::printf("\n");
  }
  return 0;
}

}  // namespace transformers::cli
