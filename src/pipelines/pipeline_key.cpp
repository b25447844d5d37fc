#include "pipelines/pipeline_key.hpp"

#include <sys/stat.h>

#include <map>
#include <mutex>

#include "transformers/error.hpp"
#include "transformers/memory.hpp"
#include "transformers/model_folder.hpp"

namespace transformers {

namespace {
// What "auto" resolves to for a folder, remembered per folder, model file name and config.json identity:
// the pool and the workers compute a key on every call, and config.json must not be parsed on every call.
std::string resolved_auto_dtype(const std::filesystem::path& folder, const std::string& model_file_name) {
  struct stat st {};
  const std::filesystem::path config = folder / "config.json";
  if (::stat(config.c_str(), &st) != 0) return "auto";  // the load will report the folder
  const std::string id = folder.string() + "\n" + model_file_name + "\n" + std::to_string(st.st_size) + ":" +
                         std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
  static std::mutex mu;
  static std::map<std::string, std::string> memo;
  {
    std::lock_guard lock(mu);
    if (auto it = memo.find(id); it != memo.end()) return it->second;
  }
  std::string dtype = "auto";
  try {
    ModelFileRequest request;
    request.model_file_name = model_file_name;
    dtype = ModelFolder(folder).resolve_dtype(request);
  } catch (const Error&) {
    return dtype;  // not remembered: the load reports the error
  }
  std::lock_guard lock(mu);
  return memo.emplace(id, dtype).first->second;
}
}  // namespace

std::string pipeline_key(std::string_view task, const std::filesystem::path& model, const PipelineOptions& o) {
  std::string canonical(task);
  try {
    canonical = canonical_task(task);
  } catch (const Error&) {
  }
  std::error_code ec;
  const std::filesystem::path folder = std::filesystem::weakly_canonical(model, ec);
  const std::string dtype = o.dtype == "auto" ? resolved_auto_dtype(ec ? model : folder, o.model_file_name) : o.dtype;
  const SessionOptions& s = o.session;
  // '\n' separates the fields (file names with newlines could collide; they would only share a pipeline).
  return canonical + "\n" + (ec ? model : folder).string() + "\n" + dtype + "\n" + o.model_file_name + "\n" +
         std::to_string(s.intra_op_threads) + "\n" + std::to_string(static_cast<int>(s.optimization)) + "\n" +
         (s.file_backed_weights ? "fb" : "heap") + "\n" + (s.prepack_weights ? "pp" : "np") + "\n" +
         s.weights_cache_dir.string() + "\n" + (o.release_policy ? to_string(*o.release_policy) : "default");
}

}  // namespace transformers
