// The tasks, defined once: name, aliases, factory, option and result types, what inputs they take, whether
// the dynamic batcher may merge their calls. pipeline(), supported_tasks(), the CLI's task list
// and the codec's option parsing all read it. Internal.
#pragma once

#include <filesystem>
#include <memory>
#include <string_view>
#include <vector>

#include "pipelines/text_pipeline.hpp"

namespace transformers::pipelines {

enum class TaskInputs {
  texts,           // texts only
  texts_or_pairs,  // texts, or {text, text_pair} pairs (text-classification)
  pairs,           // pairs only (question-answering: question, context)
};

struct TaskSpec {
  std::string_view name;
  std::vector<std::string_view> aliases;
  size_t options_index;  // the CallOptions alternative its options are
  size_t result_index;   // the Result alternative its results are
  TaskInputs inputs;
  bool batches;  // the dynamic batcher may merge its calls (results are per input)
  bool generates;  // a generation task (streams; its batches are never split or merged)
  bool encoder_decoder;  // loads onnx/encoder_model + onnx/decoder_model_merged, not onnx/<model_file_name>
  std::unique_ptr<Pipeline::Impl> (*make)(const std::filesystem::path&, const PipelineOptions&);
};

const std::vector<TaskSpec>& task_registry();
// The ONNX files a task's pipeline loads from a folder, with the options' dtype (what the pipeline manager
// estimates a load from). ModelLoadError naming the missing file, as the load would.
std::vector<std::filesystem::path> task_model_files(std::string_view task, const std::filesystem::path& model,
                                                    const PipelineOptions& options);
// By name or alias; InvalidInputError listing the known tasks.
const TaskSpec& task_spec(std::string_view name);
// The task's options type with its defaults for std::monostate; InvalidInputError for another task's.
CallOptions resolve_options(const TaskSpec& task, const CallOptions& options);

// The stream callback of the generation call running on this thread (Pipeline::stream), or null.
const StreamCallback* current_stream();
class ScopedStream {
 public:
  explicit ScopedStream(const StreamCallback* callback);
  ~ScopedStream();
  ScopedStream(const ScopedStream&) = delete;
  ScopedStream& operator=(const ScopedStream&) = delete;

 private:
  const StreamCallback* previous_;
};

}  // namespace transformers::pipelines
