// The pipeline() factory, task names and aliases, and the Pipeline handle (calls and dispose).
#include <algorithm>
#include <mutex>

#include "pipelines/text_pipeline.hpp"
#include "transformers/error.hpp"

namespace transformers {

namespace {
// An ONNX file plus the external-data files beside it (model.onnx_data, model.onnx.data, ...).
uint64_t model_weight_bytes(const std::filesystem::path& onnx) {
  std::error_code ec;
  uint64_t total = std::filesystem::file_size(onnx, ec);
  if (ec) return 0;
  const std::string stem = onnx.filename().string();
  for (const auto& e : std::filesystem::directory_iterator(onnx.parent_path(), ec)) {
    const std::string name = e.path().filename().string();
    if (name != stem && name.rfind(stem, 0) == 0 && e.is_regular_file(ec)) total += e.file_size(ec);
  }
  return total;
}

struct TaskEntry {
  const char* name;
  const char* canonical;
};
// Canonical names first, then aliases (as Transformers.js' TASK_ALIASES).
const TaskEntry kTasks[] = {
    {"text-classification", "text-classification"},
    {"feature-extraction", "feature-extraction"},
    {"sentiment-analysis", "text-classification"},
    {"embeddings", "feature-extraction"},
};
}  // namespace

std::vector<std::string> supported_tasks() {
  std::vector<std::string> out;
  for (const auto& t : kTasks) out.push_back(t.name);
  return out;
}

std::string canonical_task(std::string_view task) {
  for (const auto& t : kTasks)
    if (task == t.name) return t.canonical;
  std::string known;
  for (const auto& t : kTasks) {
    known += known.empty() ? "" : ", ";
    known += t.name;
    if (std::string_view(t.name) != t.canonical) known += std::string(" (alias of ") + t.canonical + ")";
  }
  throw InvalidInputError("unknown task '" + std::string(task) + "'; known tasks: " + known);
}

Pipeline pipeline(std::string_view task, const std::filesystem::path& model, const PipelineOptions& options) {
  const std::string canonical = canonical_task(task);
  if (canonical == "text-classification") return Pipeline(make_text_classification(model, options));
  return Pipeline(make_feature_extraction(model, options));
}

Pipeline::Pipeline(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Pipeline::Pipeline(Pipeline&&) noexcept = default;
Pipeline& Pipeline::operator=(Pipeline&& other) noexcept {
  if (this != &other) {
    dispose();
    impl_ = std::move(other.impl_);
  }
  return *this;
}
Pipeline::~Pipeline() { dispose(); }

namespace {
[[noreturn]] void throw_disposed(const Pipeline::Impl* impl) {
  throw DisposedError(impl ? "the " + impl->task + " pipeline for " + impl->model_path.string() +
                                 " has been disposed"
                           : std::string("this pipeline has been moved from"));
}
}  // namespace

Output Pipeline::operator()(std::string_view text, const CallOptions& options) const {
  if (!impl_) throw_disposed(nullptr);
  std::shared_lock lock(impl_->lifetime);
  if (impl_->disposed) throw_disposed(impl_.get());
  return impl_->run({std::string(text)}, false, options);
}

Output Pipeline::operator()(const std::vector<std::string>& texts, const CallOptions& options) const {
  if (!impl_) throw_disposed(nullptr);
  std::shared_lock lock(impl_->lifetime);
  if (impl_->disposed) throw_disposed(impl_.get());
  return impl_->run(texts, true, options);
}

void Pipeline::dispose() {
  if (!impl_) return;
  std::unique_lock lock(impl_->lifetime);  // waits for calls in flight
  if (impl_->disposed) return;
  impl_->release();
  impl_->disposed = true;
}

bool Pipeline::disposed() const { return !impl_ || impl_->disposed; }

namespace {
const Pipeline::Impl& live(const std::unique_ptr<Pipeline::Impl>& impl) {
  if (!impl) throw_disposed(nullptr);
  return *impl;
}
}  // namespace

const std::string& Pipeline::task() const { return live(impl_).task; }
const std::filesystem::path& Pipeline::model_path() const { return live(impl_).model_path; }
const std::string& Pipeline::dtype() const { return live(impl_).dtype; }
const std::filesystem::path& Pipeline::onnx_file() const { return live(impl_).onnx_file; }

uint64_t Pipeline::memory_owner() const { return live(impl_).memory_owner; }
size_t Pipeline::max_input_tokens() const { return live(impl_).max_tokens; }

std::vector<size_t> Pipeline::token_counts(const std::vector<std::string>& texts) const {
  if (!impl_) throw_disposed(nullptr);
  std::shared_lock lock(impl_->lifetime);
  if (impl_->disposed) throw_disposed(impl_.get());
  EncodeOptions enc = impl_->encode_options();  // as forward() encodes, minus the padding
  enc.padding = Padding::none;
  std::vector<size_t> counts;
  counts.reserve(texts.size());
  for (const auto& t : texts) counts.push_back(impl_->tokenizer->encode(t, enc).ids.size());
  return counts;
}

PipelineFootprint Pipeline::footprint() const {
  if (!impl_) throw_disposed(nullptr);
  std::shared_lock lock(impl_->lifetime);
  if (impl_->disposed) throw_disposed(impl_.get());
  PipelineFootprint f;
  f.weights_file = impl_->onnx_file;
  f.weight_bytes = model_weight_bytes(impl_->onnx_file);
  f.mapped_weight_bytes = std::min(impl_->session->mapped_weight_bytes(), f.weight_bytes);
  f.private_bytes = f.weight_bytes - f.mapped_weight_bytes;
  return f;
}

}  // namespace transformers
