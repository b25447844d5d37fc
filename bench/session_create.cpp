// What ONNX Runtime itself spends creating sessions of one .onnx file, with nothing of ours around it:
// the environment, then 4 sessions one after another (the first pays ONNX Runtime's one-time set-up).
//   build/bench/session_create FILE [optimize|no-prepack]
// FILE is typically an optimized-model cache entry (`transformers-cpp cache list`: DIR/model.onnx), loaded
// as we load it (2 intra-op threads, optimizers off, prepacking on); `optimize` runs the optimizers (a
// plain model, as onnxruntime-node loads it); `no-prepack` sets session.disable_prepacking (docs/performance.md).
#include <onnxruntime_cxx_api.h>

#include <chrono>
#include <cstdio>
#include <cstring>

namespace {
using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }
}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: session_create FILE [optimize|no-prepack]\n");
    return 2;
  }
  const bool optimize = argc > 2 && std::strcmp(argv[2], "optimize") == 0;
  const bool no_prepack = argc > 2 && std::strcmp(argv[2], "no-prepack") == 0;
  try {
    auto t = Clock::now();
    Ort::Env env(ORT_LOGGING_LEVEL_WARNING, "session_create");
    std::printf("environment  %8.1f ms\n", ms_since(t));
    for (int i = 0; i < 4; ++i) {
      Ort::SessionOptions so;
      so.SetIntraOpNumThreads(2);
      so.SetGraphOptimizationLevel(optimize ? ORT_ENABLE_ALL : ORT_DISABLE_ALL);
      if (no_prepack) so.AddConfigEntry("session.disable_prepacking", "1");
      t = Clock::now();
      Ort::Session session(env, argv[1], so);
      std::printf("session %d    %8.1f ms\n", i + 1, ms_since(t));
    }
  } catch (const Ort::Exception& e) {
    std::fprintf(stderr, "session_create: %s\n", e.what());
    return 1;
  }
  return 0;
}
