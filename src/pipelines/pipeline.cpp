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

namespace {
// A call's working memory grows with its padded batch (batch x longest input, and attention with its
// square): 100,000 texts in one batch took 24 GB (issue 11). A call of more padded tokens than this runs
// in consecutive chunks of at most this many, merged in order; below it a call is one batch, exactly as
// Transformers.js runs it. Chunked: text-classification, and feature-extraction with pooling (one vector
// per input). Not chunked: pooling none, whose result is itself [batch, longest, hidden].
constexpr size_t kChunkTokens = 16384;

bool chunkable(const std::string& task, const CallOptions& options) {
  return task == "text-classification" || options.pooling != Pooling::none;
}

// Consecutive runs of inputs whose padded size (count x longest) stays within kChunkTokens.
std::vector<std::pair<size_t, size_t>> chunks_of(const std::vector<size_t>& tokens) {
  std::vector<std::pair<size_t, size_t>> chunks;
  size_t begin = 0, longest = 0;
  for (size_t i = 0; i < tokens.size(); ++i) {
    const size_t l = std::max(longest, tokens[i]);
    if (i > begin && (i - begin + 1) * l > kChunkTokens) {
      chunks.emplace_back(begin, i);
      begin = i;
      longest = tokens[i];
    } else {
      longest = l;
    }
  }
  chunks.emplace_back(begin, tokens.size());
  return chunks;
}

Output merge(std::vector<Output>& parts, const std::vector<std::pair<size_t, size_t>>& chunks) {
  std::vector<size_t> truncated;
  for (size_t c = 0; c < parts.size(); ++c)
    for (size_t i : parts[c].truncated_inputs()) truncated.push_back(chunks[c].first + i);
  Output out = [&] {
    if (parts.front().is_labels()) {
      Output::Labels all;
      for (auto& p : parts) all.insert(all.end(), p.labels().begin(), p.labels().end());
      return Output(std::move(all), true, parts.front().top_k());
    }
    Tensor all{parts.front().tensor().dims, {}};
    all.dims[0] = 0;
    for (auto& p : parts) {
      const Tensor& t = p.tensor();
      if (t.rank() != 2 || t.dims[1] != all.dims[1])
        throw Error("pipeline: a chunk returned shape " + t.dims_string() + ", expected [n, " + std::to_string(all.dims[1]) + "]");
      all.dims[0] += t.dims[0];
      all.data.insert(all.data.end(), t.data.begin(), t.data.end());
    }
    return Output(std::move(all));
  }();
  out.set_truncated_inputs(std::move(truncated));
  return out;
}
}  // namespace

Output Pipeline::operator()(const std::vector<std::string>& texts, const CallOptions& options) const {
  if (!impl_) throw_disposed(nullptr);
  std::shared_lock lock(impl_->lifetime);
  if (impl_->disposed) throw_disposed(impl_.get());
  // Fewer inputs than this cannot pass kChunkTokens at the usual 512-token limit: no second tokenization.
  const size_t per_input = std::min(impl_->max_tokens, kChunkTokens);
  if (per_input == 0 || texts.size() <= kChunkTokens / per_input || !chunkable(impl_->task, options))
    return impl_->run(texts, true, options);
  EncodeOptions enc = impl_->encode_options();
  enc.padding = Padding::none;
  std::vector<size_t> tokens;
  tokens.reserve(texts.size());
  for (const auto& t : texts) tokens.push_back(impl_->tokenizer->encode(t, enc).ids.size());
  const auto chunks = chunks_of(tokens);
  if (chunks.size() == 1) return impl_->run(texts, true, options);
  std::vector<Output> parts;
  parts.reserve(chunks.size());
  for (const auto& [b, e] : chunks) {
    try {
      parts.push_back(impl_->run({texts.begin() + b, texts.begin() + e}, true, options));
    } catch (const InvalidInputError& err) {  // name the input in the caller's numbering
      throw InvalidInputError(std::string(err.what()) + " (in inputs " + std::to_string(b) + ".." +
                              std::to_string(e - 1) + " of the call, run as one chunk)");
    }
  }
  return merge(parts, chunks);
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
