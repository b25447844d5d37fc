// Placeholder until the process worker lands (being written now; replaced by its implementation).
#include "workers/worker_factories.hpp"

namespace transformers::workers {

std::unique_ptr<Worker> make_process_worker(const WorkerOptions&) {
  throw InvalidInputError("process workers are not built yet");
}

}  // namespace transformers::workers
