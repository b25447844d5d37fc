#include "engine/runtime.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <thread>

#include "core/stack_thread.hpp"
#include "engine/session_memory.hpp"
#include "transformers/engine.hpp"
#include "transformers/error.hpp"

namespace transformers {

namespace {
// TRANSFORMERS_CPP_ORT_SPINNING=0|1 sets allow_spinning's default, for programs that share their cores
// with other busy processes (a spinning pool burns them while it waits; docs/architecture.md). An explicit
// configure_runtime() wins. Any other value is refused when the environment is created, naming the variable.
constexpr const char* kSpinningVariable = "TRANSFORMERS_CPP_ORT_SPINNING";
std::string g_spinning_error;

RuntimeOptions initial_options() {
  RuntimeOptions o;
  if (const char* v = std::getenv(kSpinningVariable); v && *v) {
    const std::string value(v);
    if (value == "0" || value == "1") {
      o.allow_spinning = value == "1";
    } else {
      g_spinning_error = std::string(kSpinningVariable) + " must be 0 or 1, got '" + value + "'";
    }
  }
  return o;
}

std::mutex g_mutex;
RuntimeOptions g_options = initial_options();
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
// ONNX Runtime's environment creation matches a std::regex against /proc/self/cmdline, and libstdc++'s
// regex recurses per character: ~256 bytes of stack per byte of the command line, so a 33 KB command line
// overflowed an 8 MiB main-thread stack (issue 11). The environment is made on a thread of its own whose
// stack is sized from the command line: 512 bytes per byte (2x the measured need) + 16 MiB. Its touched
// pages go back to the OS when the thread ends (docs/memory.md).
size_t command_line_bytes() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  size_t n = 0;
  char buf[65536];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) n += static_cast<size_t>(in.gcount());
  return n;
}

size_t env_creation_stack_bytes() { return (size_t{16} << 20) + 512 * command_line_bytes(); }
}  // namespace

std::string onnxruntime_version() { return Ort::GetVersionString(); }

int max_intra_op_threads() {
  const unsigned n = std::thread::hardware_concurrency();
  return std::max(4, 4 * static_cast<int>(n == 0 ? 1 : n));
}

void check_intra_op_threads(int threads, const char* what) {
  const int limit = max_intra_op_threads();
  if (threads < 0 || threads > limit) {
    throw InvalidInputError(std::string(what) + " must be 0 (one per core) to " + std::to_string(limit) +
                            " (4 per core of this machine), got " + std::to_string(threads));
  }
}

void configure_runtime(const RuntimeOptions& options) {
  check_intra_op_threads(options.intra_op_threads, "RuntimeOptions.intra_op_threads");
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
  g_spinning_error.clear();  // the caller chose: the environment's default no longer matters
}

RuntimeOptions runtime_options() {
  std::lock_guard lock(g_mutex);
  RuntimeOptions o = g_options;
  o.intra_op_threads = resolved_threads(o.intra_op_threads);
  return o;
}

namespace engine {

GraphOptimizationLevel to_onnx_level(GraphOptimization g) {
  switch (g) {
    case GraphOptimization::disabled: return ORT_DISABLE_ALL;
    case GraphOptimization::basic: return ORT_ENABLE_BASIC;
    case GraphOptimization::extended: return ORT_ENABLE_EXTENDED;
    case GraphOptimization::all: return ORT_ENABLE_ALL;
  }
  return ORT_ENABLE_ALL;
}

Ort::Env& env() {
  // Leaked on purpose: sessions may be destroyed during static destruction, after the env would be.
  static Ort::Env* instance = [] {
    std::lock_guard lock(g_mutex);
    if (!g_spinning_error.empty()) throw InvalidInputError(g_spinning_error);
    Ort::ThreadingOptions threading;
    threading.SetGlobalIntraOpNumThreads(resolved_threads(g_options.intra_op_threads));
    threading.SetGlobalInterOpNumThreads(1);
    threading.SetGlobalSpinControl(g_options.allow_spinning ? 1 : 0);
    Ort::Env* e = nullptr;
    const size_t stack = env_creation_stack_bytes();
    try {
      core::run_with_stack(stack, [&] {
        e = new Ort::Env(threading, static_cast<OrtLoggingLevel>(g_options.log_severity), "transformers-cpp");
      });
    } catch (const std::runtime_error& err) {
      throw Error(std::string("creating the ONNX Runtime environment (it needs a stack of about 512 bytes per byte "
                              "of this process's command line): ") + err.what());
    }
    register_env_allocator(*e);  // every session that opts in (configure_session_memory) uses ours
    g_created = true;
    return e;
  }();
  return *instance;
}

}  // namespace engine
}  // namespace transformers
