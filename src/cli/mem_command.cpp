// `transformers-cpp mem`: the baseline memory profile — the memory report at each phase of a pipeline's
// life (baseline, load, first run, steady runs, dispose, a second pipeline with --then, the idle period of
// a deferred policy, trim), create/run/dispose cycles, and reuse versus return when a second model follows.
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
#include "transformers/pipeline.hpp"
#include "transformers/worker.hpp"

namespace transformers::cli {

int mem_worker_command(const Args& args, WorkerKind kind, const std::vector<MemStage>& stages);  // mem_worker.cpp

namespace {

// The allocator's OS mappings and reuses since the previous phase: a load that reuses freed memory shows
// reuses and no new mappings.
void print_row(const MemPhase& p, const MemPhase* before) {
  const MemoryReport& r = p.report;
  const uint64_t maps = r.allocator.os_maps - (before ? before->report.allocator.os_maps : 0);
  const uint64_t hits = r.allocator.cache_hits - (before ? before->report.allocator.cache_hits : 0);
  std::printf("%-22s %8.1f %8.1f %8.1f %8.1f %9.1f %8.1f %8.1f %8.1f %6llu %7llu\n", p.name.c_str(), mib(r.process.rss),
              mib(r.process.rss_anon), mib(r.process.rss_file), mib(r.process.pss), mib(r.allocator.reserved),
              mib(r.allocator.in_use), mib(r.allocator.cached), mib(r.mapped_weights_bytes),
              static_cast<unsigned long long>(maps), static_cast<unsigned long long>(hits));
}
}  // namespace

int mem_command(const Args& args) {
  const std::vector<MemStage> stages = mem_stages(args);
  if (auto kind = args.get("worker")) return mem_worker_command(args, parse_worker_kind(*kind), stages);
  const int cycles = args.get_int("cycles", 0), runs = args.get_int("runs", 10);
  if (cycles < 0 || runs < 1) throw InvalidInputError("mem: need --cycles >= 0 and --runs >= 1");
  PipelineOptions po = pipeline_options(args);
  if (auto policy = args.get("policy")) {
    AllocatorOptions ao = allocator_options();
    ao.policy = parse_release_policy(*policy);
    configure_allocator(ao);  // the runtime default: the second pipeline (--then) follows it too
  }
  const CallOptions call;
  const MemStage& first = stages[0];

  std::vector<MemPhase> phases;
  auto mark = [&](std::string name) { phases.push_back({std::move(name), memory_report()}); };
  mark("baseline");
  if (args.has("warm-up")) {  // ONNX Runtime's one-time start and the first load's, apart from the phases below
    Pipeline w = pipeline(first.task, first.model, po);
    w(first.inputs, call);
    w.dispose();
    mark("warmed up");
  }
  {
    Pipeline p = pipeline(first.task, first.model, po);
    mark("after load");
    p(first.inputs, call);
    mark("after first run");
    for (int i = 0; i < runs; ++i) p(first.inputs, call);
    mark("after " + std::to_string(runs) + " runs");
    p.dispose();
    mark("after dispose");
  }
  if (stages.size() > 1) {
    const MemStage& second = stages[1];
    Pipeline q = pipeline(second.task, second.model, po);
    mark("second loaded");
    q(second.inputs, call);
    mark("second run");
    q.dispose();
    mark("second disposed");
  }
  if (auto wait = idle_wait_ms(allocator_options().policy)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(*wait));
    mark("after idle " + std::to_string(allocator_options().policy.idle_ms) + " ms");
  }
  const TrimReport trimmed = trim();
  mark("after trim");
  std::vector<double> cycle_rss;
  for (int i = 0; i < cycles; ++i) {
    Pipeline p = pipeline(first.task, first.model, po);
    p(first.inputs, call);
    p.dispose();
    cycle_rss.push_back(mib(process_memory().rss));
  }

  if (auto plot = args.get("plot")) write_mem_plot(*plot, phases);
  if (args.has("json")) {
    std::string s = "{\"policy\":\"" + to_string(allocator_options().policy) + "\",\"phases\":[";
    for (size_t i = 0; i < phases.size(); ++i) {
      s += (i ? ",{\"phase\":\"" : "{\"phase\":\"") + phases[i].name + "\",\"report\":" + phases[i].report.to_json() + "}";
    }
    s += "],\"trim_released_bytes\":" + std::to_string(trimmed.released()) + ",\"cycle_rss_mib\":[";
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
  std::printf("; policy %s\n\n", to_string(allocator_options().policy).c_str());
  std::printf("%-22s %8s %8s %8s %8s %9s %8s %8s %8s %6s %7s\n", "phase (MiB)", "RSS", "anon", "file", "PSS",
              "reserved", "in use", "cached", "mapped", "+maps", "+reused");
  for (size_t i = 0; i < phases.size(); ++i) print_row(phases[i], i ? &phases[i - 1] : nullptr);
  std::printf("\n(reserved, in use, cached: our allocator; mapped: weight files; +maps / +reused: the allocator's\n"
              " new OS mappings and blocks served again from freed memory since the phase before)\n");
  std::printf("trim() released %.1f MiB\n", mib(trimmed.released()));
  if (!cycle_rss.empty()) {
    std::printf("RSS after each create/run/dispose cycle (MiB):");
    for (double r : cycle_rss) std::printf(" %.1f", r);
    std::printf("\n");
  }
  std::printf("\nmemory report after the first run:\n%s", phases[2].report.to_table().c_str());
  return 0;
}

}  // namespace transformers::cli
