// Output: a task's result and the JSON Transformers.js would print for the same call.
#include "core/js_json.hpp"
#include "pipelines/task_json.hpp"
#include "pipelines/task_registry.hpp"
#include "transformers/error.hpp"
#include "transformers/pipeline.hpp"

namespace transformers {

Output::Output(TaskResult result, bool batched_input) : result_(std::move(result)), batched_input_(batched_input) {}
Output::Output(Labels labels, bool batched_input, std::optional<int> top_k)
    : result_(TextClassificationResult{std::move(labels), top_k}), batched_input_(batched_input) {}
Output::Output(Tensor tensor) : result_(FeatureExtractionResult{std::move(tensor)}) {}

namespace {
std::string task_of_result(size_t index) {
  for (const auto& t : pipelines::task_registry())
    if (t.result_index == index) return std::string(t.name);
  return "?";
}
}  // namespace

void Output::wrong_kind(size_t wanted) const {
  throw InvalidInputError("this output is a " + task_of_result(result_.index()) + " result, not a " +
                          task_of_result(wanted) + " one");
}

std::string Output::to_json() const {
  return core::js_json(std::visit([&](const auto& r) { return pipelines::transformers_js_json(r, batched_input_); }, result_));
}

}  // namespace transformers
