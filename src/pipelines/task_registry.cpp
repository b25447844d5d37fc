#include "pipelines/task_registry.hpp"

#include "pipelines/generation_pipeline.hpp"

#include "pipelines/task_codec.hpp"
#include "transformers/error.hpp"
#include "transformers/model_folder.hpp"

namespace transformers::pipelines {

namespace {
template <class T>
constexpr size_t options_index() {
  return CallOptions(std::in_place_type<T>).index();
}
template <class R>
constexpr size_t result_index() {
  return TaskResult(std::in_place_type<R>).index();
}
}  // namespace

const std::vector<TaskSpec>& task_registry() {
  // Aliases as Transformers.js' TASK_ALIASES.
  static const std::vector<TaskSpec> tasks = {
      {"text-classification", {"sentiment-analysis"}, options_index<TextClassificationOptions>(),
       result_index<TextClassificationResult>(), TaskInputs::texts_or_pairs, true, false, false, make_text_classification},
      {"feature-extraction", {"embeddings"}, options_index<FeatureExtractionOptions>(),
       result_index<FeatureExtractionResult>(), TaskInputs::texts, true, false, false, make_feature_extraction},
      {"token-classification", {"ner"}, options_index<TokenClassificationOptions>(),
       result_index<TokenClassificationResult>(), TaskInputs::texts, true, false, false, make_token_classification},
      {"fill-mask", {}, options_index<FillMaskOptions>(), result_index<FillMaskResult>(), TaskInputs::texts, true, false,
       false, make_fill_mask},
      {"question-answering", {}, options_index<QuestionAnsweringOptions>(), result_index<QuestionAnsweringResult>(),
       TaskInputs::pairs, true, false, false, make_question_answering},
      {"zero-shot-classification", {}, options_index<ZeroShotClassificationOptions>(),
       result_index<ZeroShotClassificationResult>(), TaskInputs::texts, true, false, false, make_zero_shot_classification},
      {"text-generation", {}, options_index<TextGenerationOptions>(), result_index<TextGenerationResult>(),
       TaskInputs::texts, false, true, false, make_text_generation},
      {"text2text-generation", {}, options_index<Text2TextGenerationOptions>(),
       result_index<Text2TextGenerationResult>(), TaskInputs::texts, false, true, true, make_text2text_generation},
      {"translation", {}, options_index<TranslationOptions>(), result_index<TranslationResult>(), TaskInputs::texts,
       false, true, true, make_translation},
      {"summarization", {}, options_index<SummarizationOptions>(), result_index<SummarizationResult>(),
       TaskInputs::texts, false, true, true, make_summarization},
  };
  return tasks;
}

std::vector<std::filesystem::path> task_model_files(std::string_view task, const std::filesystem::path& model,
                                                    const PipelineOptions& options) {
  const ModelFolder folder(model);
  ModelFileRequest request;
  request.dtype = options.dtype;
  if (!task_spec(task).encoder_decoder) {
    request.model_file_name = options.model_file_name;
    return {folder.onnx_file(request)};
  }
  std::vector<std::filesystem::path> files;
  for (const char* name : {kEncoderModelFile, kDecoderModelFile}) {
    request.model_file_name = name;
    files.push_back(folder.onnx_file(request));
  }
  return files;
}

const TaskSpec& task_spec(std::string_view name) {
  for (const auto& t : task_registry()) {
    if (t.name == name) return t;
    for (auto a : t.aliases)
      if (a == name) return t;
  }
  std::string known;
  for (const auto& t : task_registry()) {
    known += known.empty() ? "" : ", ";
    known += t.name;
    for (auto a : t.aliases) known += ", " + std::string(a) + " (alias of " + std::string(t.name) + ")";
  }
  throw InvalidInputError("unknown task '" + std::string(name) + "'; known tasks: " + known);
}

namespace {
// The name of the task whose options are alternative `index`.
std::string task_of_options(size_t index) {
  for (const auto& t : task_registry())
    if (t.options_index == index) return std::string(t.name);
  return "?";
}

template <size_t I = 0>
CallOptions default_of(size_t index) {
  if constexpr (I < std::variant_size_v<CallOptions>) {
    if (index == I) return CallOptions(std::in_place_index<I>);
    return default_of<I + 1>(index);
  } else {
    throw Error("no options type at index " + std::to_string(index));
  }
}
}  // namespace

CallOptions resolve_options(const TaskSpec& task, const CallOptions& options) {
  if (std::holds_alternative<std::monostate>(options)) return default_of(task.options_index);
  if (options.index() != task.options_index) {
    throw InvalidInputError(std::string(task.name) + ": given the options of " + task_of_options(options.index()) +
                            ", not of " + std::string(task.name));
  }
  return options;
}

namespace {
thread_local const StreamCallback* stream_callback = nullptr;
}
const StreamCallback* current_stream() { return stream_callback; }
ScopedStream::ScopedStream(const StreamCallback* callback) : previous_(stream_callback) { stream_callback = callback; }
ScopedStream::~ScopedStream() { stream_callback = previous_; }

}  // namespace transformers::pipelines

namespace transformers {

std::vector<std::string> supported_tasks() {
  std::vector<std::string> out;
  for (const auto& t : pipelines::task_registry()) out.emplace_back(t.name);
  for (const auto& t : pipelines::task_registry())
    for (auto a : t.aliases) out.emplace_back(a);
  return out;
}

std::string canonical_task(std::string_view task) { return std::string(pipelines::task_spec(task).name); }

}  // namespace transformers
