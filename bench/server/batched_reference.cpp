// The in-process reference of the server load benchmark (bench/server/load.sh): N caller threads, each
// embedding one text at a time through a DynamicBatcher with the server's batching options and the same
// feature-extraction options (mean pooling, normalized), for S seconds. Prints texts per second.
//   batched_reference MODEL_DIR TEXTS_FILE THREADS SECONDS
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "server/serve_options.hpp"
#include "transformers/transformers.hpp"

int main(int argc, char** argv) {
  namespace tf = transformers;
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s MODEL_DIR TEXTS_FILE THREADS SECONDS\n", argv[0]);
    return 2;
  }
  std::vector<std::string> texts;
  std::ifstream in(argv[2]);
  for (std::string line; std::getline(in, line);) if (!line.empty()) texts.push_back(line);
  const int threads = std::atoi(argv[3]);
  const double seconds = std::atof(argv[4]);
  auto pipeline = std::make_shared<tf::Pipeline>(tf::pipeline("feature-extraction", argv[1]));
  tf::DynamicBatcher batcher(pipeline, tf::server::ServeOptions{}.batching);  // the server's defaults
  const tf::FeatureExtractionOptions options{tf::Pooling::mean, true};
  for (const auto& t : texts) batcher.submit(t, options).get();  // warm-up: every length once
  std::atomic<uint64_t> done{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> callers;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < threads; ++i) {
    callers.emplace_back([&, i] {
      for (size_t k = size_t(i); !stop; ++k) {
        batcher.submit(texts[k % texts.size()], options).get();
        ++done;
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : callers) t.join();
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const auto st = batcher.stats();
  std::printf("RESULT texts=%llu seconds=%.3f texts_per_s=%.1f mean_batch=%.2f\n", static_cast<unsigned long long>(done.load()),
              elapsed, double(done) / elapsed, st.mean_batch_size());
  return 0;
}
