// The C++ half of tools/tokenizer_bench/bench.mjs (not a test): loads a tokenizer folder, reads
// one text per line, and times encode one line at a time, then encode_many on 1 and 2 threads.
// Prints one JSON object: {"tokens": N, "encode_s": t, "batch1_s": t, "batch2_s": t}.
//   tokenizer_bench <model dir> <lines file> [repeats]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "transformers/tokenizer.hpp"

namespace {
double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: tokenizer_bench <model dir> <lines file> [repeats]\n");
    return 2;
  }
  const std::string dir = argv[1];
  const int repeats = argc > 3 ? std::max(1, std::atoi(argv[3])) : 1;
  std::ifstream in(argv[2], std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot open %s\n", argv[2]);
    return 2;
  }
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  try {
    const auto tok = transformers::Tokenizer::from_files(dir + "/tokenizer.json", dir + "/tokenizer_config.json");
    // Warm-up (word caches, page faults), then the best of `repeats` for each mode.
    size_t tokens = 0;
    for (const auto& l : lines) tokens += tok.encode(l).ids.size();
    double encode_s = 1e30, batch1_s = 1e30, batch2_s = 1e30;
    transformers::EncodeOptions one, two;
    one.num_threads = 1;
    two.num_threads = 2;
    for (int r = 0; r < repeats; ++r) {
      auto t0 = std::chrono::steady_clock::now();
      size_t n = 0;
      for (const auto& l : lines) n += tok.encode(l).ids.size();
      encode_s = std::min(encode_s, seconds_since(t0));
      if (n != tokens) return 3;
      t0 = std::chrono::steady_clock::now();
      (void)tok.encode_many(lines, one);
      batch1_s = std::min(batch1_s, seconds_since(t0));
      t0 = std::chrono::steady_clock::now();
      (void)tok.encode_many(lines, two);
      batch2_s = std::min(batch2_s, seconds_since(t0));
    }
    std::printf("{\"tokens\": %zu, \"encode_s\": %.6f, \"batch1_s\": %.6f, \"batch2_s\": %.6f}\n", tokens, encode_s,
                batch1_s, batch2_s);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
