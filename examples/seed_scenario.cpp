// The articles' scenario (../shared/seeds, docs/seed-scenario.md), as a program: in a worker, create the
// translation pipeline, transliterate a batch, dispose it, create a text-classification pipeline,
// classify, dispose, terminate — printing the memory report at every step.
// usage: example_seed_scenario TRANSLIT_DIR CLASSIFIER_DIR [thread|process]
#include <cstdio>
#include <iostream>
#include <transformers/transformers.hpp>

namespace tf = transformers;

namespace {
void report(const char* step, tf::Worker& worker) {
  const tf::MemoryReport host = tf::memory_report();
  std::printf("\n== %s: host RSS %.1f MiB (anonymous %.1f, file-backed %.1f)\n", step, host.process.rss / 1048576.0,
              host.process.rss_anon / 1048576.0, host.process.rss_file / 1048576.0);
  if (worker.alive()) std::cout << "worker's view:\n" << worker.memory_report().to_table();
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 3 || argc > 4) {
    std::cerr << "usage: example_seed_scenario TRANSLIT_DIR CLASSIFIER_DIR [thread|process]\n";
    return 2;
  }
  try {
    const tf::WorkerKind kind = tf::parse_worker_kind(argc == 4 ? argv[3] : "process");
    // immediate: what a pipeline frees goes back to the OS at once (deferred:MS would keep it for the
    // next pipeline to reuse, then return it after MS idle).
    auto worker = tf::make_worker({.kind = kind, .release_policy = tf::ReleasePolicy::immediate()});
    report("worker started", *worker);

    worker->load("translation", argv[1]).get();
    report("translation pipeline loaded", *worker);
    tf::WorkerCall translate{.task = "translation", .model = argv[1],
                             .inputs = {"Москва", "объявление", "подъезд", "ёлка", "Щукино", "Хабаровск"}};
    tf::Output latin = worker->submit(translate).get();
    std::cout << "\ntransliterated: " << latin.to_json() << "\n";
    report("after transliterating", *worker);
    worker->unload("translation", argv[1]).get();
    report("translation pipeline disposed", *worker);

    worker->load("text-classification", argv[2]).get();
    tf::WorkerCall classify{.task = "text-classification", .model = argv[2], .inputs = {"I love this!", "Terrible."}};
    std::cout << "\nclassified: " << worker->submit(classify).get().to_json() << "\n";
    report("after classifying", *worker);
    worker->unload("text-classification", argv[2]).get();
    report("classification pipeline disposed", *worker);

    worker->terminate();
    report("worker terminated", *worker);
  } catch (const tf::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
