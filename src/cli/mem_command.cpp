// `transformers-cpp mem`: the baseline memory profile — the memory report at each phase of a pipeline's
// life (baseline, load, first run, steady runs, dispose, trim), create/run/dispose cycles, and reuse
// versus return when a second model follows.
#include <cstdio>

#include "cli/args.hpp"
#include "cli/mem_plot.hpp"
#include "cli/options.hpp"
#include "transformers/error.hpp"
#include "transformers/memory_report.hpp"
#include "transformers/pipeline.hpp"
#include "transformers/worker.hpp"

namespace transformers::cli {

int mem_worker_command(const Args& args, WorkerKind kind);  // mem_worker.cpp

namespace {
double mib(uint64_t b) { return static_cast<double>(b) / (1024.0 * 1024.0); }

std::vector<std::string> sample_texts() {
  return {"The quick brown fox jumps over the lazy dog.",
          "Memory that is given back to the operating system can be used by every other program.",
          "ok", "A somewhat longer sentence, so that the batch is padded and the working memory is real."};
}

void print_row(const MemPhase& p) {
  const MemoryReport& r = p.report;
  std::printf("%-22s %9.1f %9.1f %9.1f %9.1f %9.1f %9.1f %9.1f\n", p.name.c_str(), mib(r.process.rss),
              mib(r.process.rss_anon), mib(r.process.rss_file), mib(r.process.pss), mib(r.allocator.reserved),
              mib(r.allocator.in_use), mib(r.mapped_weights_bytes));
}
}  // namespace

int mem_command(const Args& args) {
  if (args.positionals().size() != 1) throw InvalidInputError("mem: give exactly one <task>");
  if (auto kind = args.get("worker")) return mem_worker_command(args, parse_worker_kind(*kind));
  const std::string task = args.positionals()[0];
  const std::string model = args.require("model");
  const int cycles = args.get_int("cycles", 0), runs = args.get_int("runs", 10);
  if (cycles < 0 || runs < 1) throw InvalidInputError("mem: need --cycles >= 0 and --runs >= 1");
  PipelineOptions po = pipeline_options(args);
  if (auto policy = args.get("policy")) {
    AllocatorOptions ao = allocator_options();
    ao.policy = parse_release_policy(*policy);
    configure_allocator(ao);  // the runtime default: a second pipeline (--then) follows it too
  }
  const std::vector<std::string> texts = sample_texts();
  const CallOptions call;

  std::vector<MemPhase> phases;
  auto mark = [&](std::string name) { phases.push_back({std::move(name), memory_report()}); };
  mark("baseline");
  {
    Pipeline p = pipeline(task, model, po);
    mark("after load");
    p(texts, call);
    mark("after first run");
    for (int i = 0; i < runs; ++i) p(texts, call);
    mark("after " + std::to_string(runs) + " runs");
    p.dispose();
    mark("after dispose");
  }
  if (auto second = args.get("then")) {
    Pipeline q = pipeline(task, *second, po);
    q(texts, call);
    mark("second model, 1 run");
    q.dispose();
    mark("second disposed");
  }
  const TrimReport trimmed = trim();
  mark("after trim");
  std::vector<double> cycle_rss;
  for (int i = 0; i < cycles; ++i) {
    Pipeline p = pipeline(task, model, po);
    p(texts, call);
    p.dispose();
    cycle_rss.push_back(mib(process_memory().rss));
  }

  if (auto plot = args.get("plot")) write_mem_plot(*plot, phases);
  if (args.has("json")) {
    std::string s = "{\"phases\":[";
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
  std::printf("%s on %s, policy %s\n\n", task.c_str(), model.c_str(), to_string(allocator_options().policy).c_str());
  std::printf("%-22s %9s %9s %9s %9s %9s %9s %9s\n", "phase (MiB)", "RSS", "anon", "file", "PSS", "reserved",
              "in use", "mapped");
  for (const auto& p : phases) print_row(p);
  std::printf("\ntrim() released %.1f MiB\n", mib(trimmed.released()));
  if (!cycle_rss.empty()) {
    std::printf("RSS after each create/run/dispose cycle (MiB):");
    for (double r : cycle_rss) std::printf(" %.1f", r);
    std::printf("\n");
  }
  std::printf("\nmemory report after the first run:\n%s", phases[2].report.to_table().c_str());
  return 0;
}

}  // namespace transformers::cli
