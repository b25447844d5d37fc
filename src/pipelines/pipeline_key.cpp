#include "pipelines/pipeline_key.hpp"

#include "transformers/error.hpp"
#include "transformers/memory.hpp"
#include "transformers/model_folder.hpp"

namespace transformers {

std::string pipeline_key(std::string_view task, const std::filesystem::path& model, const PipelineOptions& o) {
  std::string canonical(task);
  try {
    canonical = canonical_task(task);
  } catch (const Error&) {
  }
  std::string dtype = o.dtype;
  try {
    ModelFileRequest request;
    request.dtype = o.dtype;
    request.model_file_name = o.model_file_name;
    dtype = ModelFolder(model).resolve_dtype(request);
  } catch (const Error&) {
  }
  std::error_code ec;
  const std::filesystem::path folder = std::filesystem::weakly_canonical(model, ec);
  const SessionOptions& s = o.session;
  // '\n' separates the fields (file names with newlines could collide; they would only share a pipeline).
  return canonical + "\n" + (ec ? model : folder).string() + "\n" + dtype + "\n" + o.model_file_name + "\n" +
         std::to_string(s.intra_op_threads) + "\n" + std::to_string(static_cast<int>(s.optimization)) + "\n" +
         (s.file_backed_weights ? "fb" : "heap") + "\n" + (s.prepack_weights ? "pp" : "np") + "\n" +
         s.weights_cache_dir.string() + "\n" + (o.release_policy ? to_string(*o.release_policy) : "default");
}

}  // namespace transformers
