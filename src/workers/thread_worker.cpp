// Placeholder until the thread worker lands (being written now; replaced by its implementation).
#include "workers/worker_factories.hpp"

namespace transformers::workers {

std::unique_ptr<Worker> make_thread_worker(const WorkerOptions&) {
  throw InvalidInputError("thread workers are not built yet");
}

}  // namespace transformers::workers
