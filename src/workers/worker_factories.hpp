// Constructors of the two worker kinds, behind make_worker().
#pragma once

#include <memory>

#include "transformers/worker.hpp"

namespace transformers::workers {

std::unique_ptr<Worker> make_thread_worker(const WorkerOptions& options);   // thread_worker.cpp
std::unique_ptr<Worker> make_process_worker(const WorkerOptions& options);  // process_worker.cpp

}  // namespace transformers::workers
