// The identity of a pipeline inside a worker, and the pool's affinity key: two calls with the same
// key use the same pipeline (and, in a WorkerPool, the same worker).
#pragma once

#include <filesystem>
#include <string>

#include "transformers/pipeline.hpp"

namespace transformers::workers {

// Task canonicalised (aliases share a pipeline; an unknown task is kept as given so that the error
// comes from the load, through the call's future), model folder made canonical, and every
// PipelineOptions field that changes what is loaded or how its memory is released.
// Never throws on bad input.
std::string pipeline_key(const std::string& task, const std::filesystem::path& model, const PipelineOptions& options);

}  // namespace transformers::workers
