// `transformers-cpp mem --worker thread|process`: the same phases as `mem`, with the pipeline inside a
// worker; the host's memory and the worker's side by side, and what the host keeps after terminate().
#include <cstdio>

#include "cli/args.hpp"
#include "cli/mem_plot.hpp"
#include "cli/options.hpp"
#include "transformers/error.hpp"
#include "transformers/memory_report.hpp"
#include "transformers/worker.hpp"

namespace transformers::cli {

namespace {
double mib(uint64_t b) { return static_cast<double>(b) / (1024.0 * 1024.0); }

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
uint64_t pipelines_peak(const MemoryReport& r) {
  uint64_t n = 0;
  for (const auto& p : r.pipelines) n += p.peak_in_use;
  return n;
}

std::string phase_json(const WorkerPhase& p) {
  return "{\"phase\":\"" + p.name + "\",\"host\":" + p.host.to_json() +
         ",\"worker\":" + (p.worker ? p.worker->to_json() : "null") + "}";
}

void print_phase(const WorkerPhase& p, WorkerKind kind) {
  std::printf("%-20s %8.1f %8.1f %8.1f |", p.name.c_str(), mib(p.host.process.rss), mib(p.host.process.rss_anon),
              mib(p.host.process.rss_file));
  if (!p.worker) {
    std::printf(" %8s %8s %8s %8s %8s %9s\n", "-", "-", "-", "-", "-", "-");
    return;
  }
  const MemoryReport& w = *p.worker;
  if (kind == WorkerKind::process) {
    std::printf(" %8.1f %8.1f", mib(w.process.rss), mib(w.process.rss_anon));
  } else {
    std::printf(" %8s %8s", "=host", "=host");  // a thread worker is in the host's process
  }
  std::printf(" %8.1f %8.1f %8.1f %9zu\n", mib(pipelines_in_use(w)), mib(pipelines_peak(w)),
              mib(w.mapped_weights_bytes), w.pipelines.size());
}
}  // namespace

int mem_worker_command(const Args& args, WorkerKind kind) {
  const std::string task = args.positionals()[0];
  const std::string model = args.require("model");
  const int cycles = args.get_int("cycles", 0), runs = args.get_int("runs", 10);
  if (cycles < 0 || runs < 1) throw InvalidInputError("mem: need --cycles >= 0 and --runs >= 1");
  if (args.has("then")) throw InvalidInputError("mem: --then is not supported with --worker");
  WorkerOptions wo;
  wo.kind = kind;
  wo.name = std::string("mem-") + to_string(kind);
  if (auto policy = args.get("policy")) wo.release_policy = parse_release_policy(*policy);
  wo.intra_op_threads = args.get_int("threads", 0);
  WorkerCall call;
  call.task = task;
  call.model = model;
  call.pipeline_options = pipeline_options(args);
  call.inputs = {"The quick brown fox jumps over the lazy dog.",
                 "Memory that is given back to the operating system can be used by every other program.", "ok",
                 "A somewhat longer sentence, so that the batch is padded and the working memory is real."};

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
  worker->load(task, model, call.pipeline_options).get();
  mark("pipeline loaded");
  worker->submit(call).get();
  mark("after first run");
  for (int i = 0; i < runs; ++i) worker->submit(call).get();
  mark("after " + std::to_string(runs) + " runs");
  const WorkerStats stats = worker->stats();
  worker->terminate();
  mark("after terminate");
  worker.reset();
  // One-shot workers: start, load, run, terminate, over and over; the host should stay flat.
  std::vector<double> cycle_rss;
  for (int i = 0; i < cycles; ++i) {
    auto w = make_worker(wo);
    w->submit(call).get();
    w->terminate();
    cycle_rss.push_back(mib(process_memory().rss));
  }

  if (auto plot = args.get("plot")) {
    std::vector<MemPhase> host;
    for (const auto& p : phases) host.push_back({p.name, p.host});
    write_mem_plot(*plot, host);  // the host's side: what a worker leaves behind is the question
  }
  if (args.has("json")) {
    std::string s = std::string("{\"worker\":\"") + to_string(kind) + "\",\"worker_pid\":" + std::to_string(stats.pid) +
                    ",\"phases\":[";
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
  std::printf("%s on %s in a %s worker (pid %d)\n\n", task.c_str(), model.c_str(), to_string(kind), stats.pid);
  std::printf("%-20s %26s | %s\n", "", "host", "worker");
  std::printf("%-20s %8s %8s %8s | %8s %8s %8s %8s %8s %9s\n", "phase (MiB)", "RSS", "anon", "file", "RSS", "anon",
              "in use", "peak", "mapped", "pipelines");
  for (const auto& p : phases) print_phase(p, kind);
  const double kept = mib(phases.back().host.process.rss) - mib(phases.front().host.process.rss);
  std::printf("\nhost RSS after terminate - before the worker: %+.1f MiB\n", kept);
  if (kind == WorkerKind::thread) {
    std::printf("(a thread worker shares the host's process: its RSS is the host's; in use / peak are its pipelines'\n"
                " allocator figures. The first worker of a process also initialises ONNX Runtime, ~25 MiB kept for\n"
                " the process's life: --cycles shows that later workers come back to the same level.)\n");
  }
  if (!cycle_rss.empty()) {
    std::printf("host RSS after each start/run/terminate cycle (MiB):");
    for (double r : cycle_rss) std::printf(" %.1f", r);
    std::printf("\n");
  }
  return 0;
}

}  // namespace transformers::cli
