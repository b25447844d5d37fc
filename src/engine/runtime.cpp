#include "engine/runtime.hpp"

#include <mutex>
#include <thread>

#include "engine/session_memory.hpp"
#include "transformers/engine.hpp"
#include "transformers/error.hpp"

namespace transformers {

namespace {
std::mutex g_mutex;
RuntimeOptions g_options;
bool g_created = false;

bool same(const RuntimeOptions& a, const RuntimeOptions& b) {
  return a.intra_op_threads == b.intra_op_threads && a.allow_spinning == b.allow_spinning &&
         a.log_severity == b.log_severity;
}

int resolved_threads(int requested) {
  if (requested > 0) return requested;
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}
}  // namespace

void configure_runtime(const RuntimeOptions& options) {
  std::lock_guard lock(g_mutex);
  if (g_created && !same(options, g_options)) {
    throw InvalidInputError(
        "configure_runtime: the ONNX Runtime environment already exists; configure it before the first "
        "pipeline or session is created");
  }
  if (options.log_severity < 0 || options.log_severity > 4) {
    throw InvalidInputError("configure_runtime: log_severity must be 0..4, got " +
                            std::to_string(options.log_severity));
  }
  g_options = options;
}

RuntimeOptions runtime_options() {
  std::lock_guard lock(g_mutex);
  RuntimeOptions o = g_options;
  o.intra_op_threads = resolved_threads(o.intra_op_threads);
  return o;
}

namespace engine {

Ort::Env& env() {
  // Leaked on purpose: sessions may be destroyed during static destruction, after the env would be.
  static Ort::Env* instance = [] {
    std::lock_guard lock(g_mutex);
    Ort::ThreadingOptions threading;
    threading.SetGlobalIntraOpNumThreads(resolved_threads(g_options.intra_op_threads));
    threading.SetGlobalInterOpNumThreads(1);
    threading.SetGlobalSpinControl(g_options.allow_spinning ? 1 : 0);
    auto* e = new Ort::Env(threading, static_cast<OrtLoggingLevel>(g_options.log_severity), "transformers-cpp");
    register_env_allocator(*e);  // every session that opts in (configure_session_memory) uses ours
    g_created = true;
    return e;
  }();
  return *instance;
}

}  // namespace engine
}  // namespace transformers
