// Encode speed of the tokenizer (not part of ctest).
//   tokenizer_speed [fixture dir, default bert-base-uncased] [iterations]
#include <chrono>
#include <cstdio>
#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include "transformers/tokenizer.hpp"

int main(int argc, char** argv) {
  const std::string dir =
      argc > 1 ? argv[1] : std::string(TRANSFORMERS_FIXTURES_DIR) + "/tokenizers/bert-base-uncased";
  const int iters = argc > 2 ? std::atoi(argv[2]) : 20000;
  using clock = std::chrono::steady_clock;

  auto t0 = clock::now();
  const auto tok = transformers::Tokenizer::from_files(dir + "/tokenizer.json", dir + "/tokenizer_config.json");
  const double load_ms = std::chrono::duration<double, std::milli>(clock::now() - t0).count();

  const std::vector<std::string> sentences = {
      "I love this movie, it was absolutely fantastic!",
      "The quick brown fox jumps over the lazy dog near the riverbank.",
      "Transformers.js-style pipelines in C++ on top of ONNX Runtime are unbelievably fast.",
      "Café naïve résumé: déjà vu in São Paulo, 2024 — 100% [MASK] worthy.",
  };
  size_t tokens = 0;
  t0 = clock::now();
  for (int i = 0; i < iters; ++i) tokens += tok.encode(sentences[i % sentences.size()]).ids.size();
  const double single_us = std::chrono::duration<double, std::micro>(clock::now() - t0).count() / iters;

  std::string long_text;
  for (int i = 0; i < 200; ++i) long_text += sentences[i % sentences.size()] + " ";
  const int long_iters = std::max(1, iters / 100);
  t0 = clock::now();
  for (int i = 0; i < long_iters; ++i) tokens += tok.encode(long_text).ids.size();
  const double long_us = std::chrono::duration<double, std::micro>(clock::now() - t0).count() / long_iters;

  t0 = clock::now();
  const int batch_iters = std::max(1, iters / 8);
  transformers::EncodeOptions batch_options;
  batch_options.padding = transformers::Padding::longest;
  batch_options.truncation = true;
  for (int i = 0; i < batch_iters; ++i) tokens += tok.encode_batch(sentences, batch_options).input_ids.size();
  const double batch_us = std::chrono::duration<double, std::micro>(clock::now() - t0).count() / batch_iters;

  std::printf("load %.1f ms | encode 1 sentence %.2f us | encode %zu-byte text %.1f us (%.1f MB/s) | batch of %zu %.2f us"
              " | (%zu tokens)\n",
              load_ms, single_us, long_text.size(), long_us, long_text.size() / long_us, sentences.size(), batch_us,
              tokens);
}
