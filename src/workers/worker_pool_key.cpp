#include "workers/worker_pool_key.hpp"

#include "transformers/error.hpp"

namespace transformers::workers {

std::string pipeline_key(const std::string& task, const std::filesystem::path& model, const PipelineOptions& o) {
  std::string canonical = task;
  try {
    canonical = canonical_task(task);
  } catch (const Error&) {
    // kept as given: loading it reports the unknown task to the caller
  }
  std::error_code ec;
  const std::filesystem::path folder = std::filesystem::weakly_canonical(model, ec);
  const SessionOptions& s = o.session;
  // '\n' separates the fields (file names with newlines could collide; they only share a pipeline).
  return canonical + "\n" + (ec ? model : folder).string() + "\n" + o.dtype + "\n" + o.model_file_name + "\n" +
         std::to_string(s.intra_op_threads) + "\n" + std::to_string(static_cast<int>(s.optimization)) + "\n" +
         (s.file_backed_weights ? "fb" : "heap") + "\n" + (s.prepack_weights ? "pp" : "np") + "\n" +
         s.weights_cache_dir.string() + "\n" + std::to_string(s.memory_owner) + "\n" +
         (o.release_policy ? to_string(*o.release_policy) : "default");
}

}  // namespace transformers::workers
