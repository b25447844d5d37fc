// Host RSS before a thread worker starts vs after its terminate(), on a big model (default: the
// BERT-base-sized classifier). Cycle 1 starts in a bare process (it also initialises ONNX Runtime,
// whose one-time global state stays for the process's life); later cycles start from an initialised
// runtime, as the DisposeMemory tests do. Target (issue 5): after terminate within 8 MiB of before.
//
//   build-tw/bench/thread_worker_rss [--model DIR] [--cycles 3] [--batch 8] [--words 120] [--json]
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "transformers/memory.hpp"
#include "transformers/worker.hpp"

namespace tf = transformers;

namespace {
double mib(uint64_t b) { return static_cast<double>(b) / (1024.0 * 1024.0); }

struct Cycle {
  double before, loaded, after_run, peak, after_terminate, anon_after, file_after;
};
}  // namespace

int main(int argc, char** argv) {
  std::filesystem::path model =
      std::filesystem::path(TRANSFORMERS_FIXTURES_DIR) / ".." / ".." / "models" / "bert-base-sized-classifier";
  int cycles = 3, batch = 8, words = 120;
  bool json = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--model") model = next();
    else if (a == "--cycles") cycles = std::atoi(next());
    else if (a == "--batch") batch = std::atoi(next());
    else if (a == "--words") words = std::atoi(next());
    else if (a == "--json") json = true;
    else {
      std::fprintf(stderr, "usage: %s [--model DIR] [--cycles N] [--batch B] [--words W] [--json]\n", argv[0]);
      return 2;
    }
  }
  if (cycles < 1 || batch < 1 || words < 1) {
    std::fprintf(stderr, "--cycles, --batch and --words must be positive\n");
    return 2;
  }
  std::string text;
  for (int i = 0; i < words; ++i) text += i ? " memory" : "memory";
  tf::WorkerCall call;
  call.task = "text-classification";
  call.model = model;
  call.inputs.assign(static_cast<size_t>(batch), text);

  std::vector<Cycle> out;
  try {
    for (int c = 0; c < cycles; ++c) {
      Cycle r{};
      std::ofstream("/proc/self/clear_refs") << "5";  // VmHWM from here: this cycle's peak
      r.before = mib(tf::process_memory().rss);
      tf::WorkerOptions wo;
      wo.kind = tf::WorkerKind::thread;
      auto w = tf::make_worker(wo);
      w->load(call.task, call.model).get();
      r.loaded = mib(tf::process_memory().rss);
      w->submit(call).get();
      const tf::ProcessMemory run = tf::process_memory();
      r.after_run = mib(run.rss);
      r.peak = mib(run.vm_hwm);
      w->terminate();
      const tf::ProcessMemory end = tf::process_memory();
      r.after_terminate = mib(end.rss);
      r.anon_after = mib(end.rss_anon);
      r.file_after = mib(end.rss_file);
      out.push_back(r);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  if (json) {
    std::printf("{\"model\":\"%s\",\"batch\":%d,\"words\":%d,\"cycles\":[", model.string().c_str(), batch, words);
    for (size_t i = 0; i < out.size(); ++i) {
      std::printf("%s{\"before\":%.2f,\"loaded\":%.2f,\"after_run\":%.2f,\"peak\":%.2f,\"after_terminate\":%.2f,"
                  "\"anon_after\":%.2f,\"file_after\":%.2f}",
                  i ? "," : "", out[i].before, out[i].loaded, out[i].after_run, out[i].peak, out[i].after_terminate,
                  out[i].anon_after, out[i].file_after);
    }
    std::printf("]}\n");
    return 0;
  }
  std::printf("thread worker on %s, %d x %d words per call\n\n", model.string().c_str(), batch, words);
  std::printf("%-6s %10s %10s %10s %10s %12s %8s %8s %12s\n", "cycle", "before", "loaded", "after run", "peak",
              "terminated", "anon", "file", "kept (MiB)");
  for (size_t i = 0; i < out.size(); ++i) {
    std::printf("%-6zu %10.1f %10.1f %10.1f %10.1f %12.1f %8.1f %8.1f %+12.1f%s\n", i + 1, out[i].before, out[i].loaded,
                out[i].after_run, out[i].peak, out[i].after_terminate, out[i].anon_after, out[i].file_after,
                out[i].after_terminate - out[i].before, i == 0 ? "  (includes ONNX Runtime's one-time initialisation)" : "");
  }
  return 0;
}
