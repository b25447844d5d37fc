// make_worker() and the WorkerKind names.
#include "workers/worker_factories.hpp"

#include "transformers/engine.hpp"

namespace transformers {

const char* to_string(WorkerKind kind) { return kind == WorkerKind::thread ? "thread" : "process"; }

WorkerKind parse_worker_kind(std::string_view text) {
  if (text == "thread") return WorkerKind::thread;
  if (text == "process") return WorkerKind::process;
  throw InvalidInputError("unknown worker kind '" + std::string(text) + "' (expected thread or process)");
}

std::unique_ptr<Worker> make_worker(const WorkerOptions& options) {
  check_intra_op_threads(options.intra_op_threads, "WorkerOptions.intra_op_threads");
  return options.kind == WorkerKind::thread ? workers::make_thread_worker(options)
                                            : workers::make_process_worker(options);
}

}  // namespace transformers
