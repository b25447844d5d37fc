// The identity of a loaded pipeline, defined once: the pipeline manager, the thread and process workers
// and the pool's affinity all key by it, so that they agree on when two requests share a pipeline.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "transformers/pipeline.hpp"

namespace transformers {

// Canonical task (aliases share; an unknown task is kept as given so that the load reports it), the model
// folder made canonical, the dtype resolved as the load will resolve it ("auto" and its answer share;
// kept as given when the folder cannot be read; config.json is read once per version, not per call), and every option that changes what is loaded or how its
// memory is released (release policy included). The accounting owner is not part of it: it only says
// whom memory is charged to. Never throws.
std::string pipeline_key(std::string_view task, const std::filesystem::path& model, const PipelineOptions& options);

}  // namespace transformers
