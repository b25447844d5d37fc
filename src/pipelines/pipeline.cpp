// The pipeline() factory, task names and aliases, and the Pipeline handle (calls and dispose).
#include <algorithm>
#include <mutex>

#include "pipelines/batch_rows.hpp"
#include "pipelines/task_registry.hpp"
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

}  // namespace

Pipeline pipeline(std::string_view task, const std::filesystem::path& model, const PipelineOptions& options) {
  return Pipeline(pipelines::task_spec(task).make(model, options));
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
  return call(PipelineInputs{{std::string(text)}, {}}, false, options);
}

Output Pipeline::operator()(const std::vector<std::string>& texts, const CallOptions& options) const {
  return call(PipelineInputs{texts, {}}, true, options);
}

Output Pipeline::operator()(const TextPair& input, const CallOptions& options) const {
  return call(PipelineInputs{{input.text}, {input.text_pair}}, false, options);
}

Output Pipeline::operator()(const std::vector<TextPair>& inputs, const CallOptions& options) const {
  PipelineInputs in;
  for (const auto& p : inputs) {
    in.texts.push_back(p.text);
    in.text_pairs.push_back(p.text_pair);
  }
  return call(in, true, options);
}

Output Pipeline::operator()(const Chat& chat, const CallOptions& options) const {
  PipelineInputs in;
  in.chats = {chat};
  return call(in, false, options);
}

Output Pipeline::operator()(const std::vector<Chat>& chats, const CallOptions& options) const {
  PipelineInputs in;
  in.chats = chats;
  return call(in, true, options);
}

Output Pipeline::stream(const PipelineInputs& inputs, bool batched, const CallOptions& options,
                        const StreamCallback& on_text) const {
  const pipelines::TaskSpec& spec = pipelines::task_spec(live_impl().task);
  if (!spec.generates) throw InvalidInputError(std::string(spec.name) + " does not generate text: nothing to stream");
  pipelines::ScopedStream scope(on_text ? &on_text : nullptr);
  return call(inputs, batched, options);
}

CallOptions Pipeline::resolve_options(const CallOptions& options) const {
  return pipelines::resolve_options(pipelines::task_spec(live_impl().task), options);
}

namespace {
// A call of more padded tokens than kChunkTokens runs in consecutive chunks of inputs, each padded to its
// own longest, merged in order; below it a call is one batch, exactly as Transformers.js runs it.

// Every result is one entry per input, except feature-extraction without pooling: [batch, longest,
// hidden], one tensor padded across the whole call.
bool chunkable(const CallOptions& options) {
  if (const auto* fe = std::get_if<FeatureExtractionOptions>(&options)) return fe->pooling != Pooling::none;
  return true;
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

}  // namespace

Output Pipeline::call(const PipelineInputs& inputs, bool batched, const CallOptions& options) const {
  if (!impl_) throw_disposed(nullptr);
  std::shared_lock lock(impl_->lifetime);
  if (impl_->disposed) throw_disposed(impl_.get());
  const pipelines::TaskSpec& spec = pipelines::task_spec(impl_->task);
  const CallOptions resolved = pipelines::resolve_options(spec, options);
  if (inputs.pairs() && inputs.text_pairs.size() != inputs.texts.size()) {
    throw InvalidInputError(impl_->task + ": " + std::to_string(inputs.texts.size()) + " texts but " +
                            std::to_string(inputs.text_pairs.size()) + " text pairs");
  }
  if (inputs.pairs() && spec.inputs == pipelines::TaskInputs::texts)
    throw InvalidInputError(impl_->task + " takes texts, not text pairs");
  if (!inputs.pairs() && spec.inputs == pipelines::TaskInputs::pairs) {
    throw InvalidInputError(impl_->task + " takes pairs: TextPair{question, context} (CLI: --question Q --context C)");
  }
  if (!inputs.chats.empty() && spec.name != "text-generation")
    throw InvalidInputError(impl_->task + " takes texts, not chats");
  if (!inputs.chats.empty() && !inputs.texts.empty())
    throw InvalidInputError(impl_->task + ": a call takes texts or chats, not both");
  if (!batched && inputs.size() != 1)
    throw InvalidInputError(impl_->task + ": an unbatched call takes exactly one input, got " + std::to_string(inputs.size()));
  // Fewer inputs than this cannot pass kChunkTokens at the usual 512-token limit: no second tokenization.
  const size_t per_input = std::min(impl_->max_tokens, kChunkTokens);
  // Generation is never cut into chunks: its padding changes what the rows generate (Transformers.js pads once).
  if (!batched || per_input == 0 || inputs.size() <= kChunkTokens / per_input || !chunkable(resolved) || spec.generates)
    return impl_->run(inputs, batched, resolved);
  EncodeOptions enc = impl_->encode_options();
  enc.padding = Padding::none;
  std::vector<size_t> tokens;
  tokens.reserve(inputs.size());
  for (const auto& e : impl_->tokenizer->encode_many(inputs.texts, inputs.text_pairs, enc)) tokens.push_back(e.ids.size());
  const auto chunks = chunks_of(tokens);
  if (chunks.size() == 1) return impl_->run(inputs, true, resolved);
  std::vector<Output> parts;
  std::vector<size_t> firsts;
  parts.reserve(chunks.size());
  for (const auto& [b, e] : chunks) {
    PipelineInputs part{{inputs.texts.begin() + b, inputs.texts.begin() + e}, {}};
    if (inputs.pairs()) part.text_pairs.assign(inputs.text_pairs.begin() + b, inputs.text_pairs.begin() + e);
    try {
      parts.push_back(impl_->run(part, true, resolved));
      firsts.push_back(b);
    } catch (const InvalidInputError& err) {  // name the input in the caller's numbering
      throw InvalidInputError(std::string(err.what()) + " (in inputs " + std::to_string(b) + ".." +
                              std::to_string(e - 1) + " of the call, run as one chunk)");
    }
  }
  return pipelines::merge_rows(parts, firsts, "pipeline");
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

const Pipeline::Impl& Pipeline::live_impl() const { return live(impl_); }

const std::string& Pipeline::task() const { return live(impl_).task; }
const std::filesystem::path& Pipeline::model_path() const { return live(impl_).model_path; }
const std::string& Pipeline::dtype() const { return live(impl_).dtype; }
const std::filesystem::path& Pipeline::onnx_file() const { return live(impl_).onnx_file; }

uint64_t Pipeline::memory_owner() const { return live(impl_).memory_owner; }
size_t Pipeline::max_input_tokens() const { return live(impl_).max_tokens; }

std::vector<size_t> Pipeline::token_counts(const std::vector<std::string>& texts) const {
  return token_counts(PipelineInputs{texts, {}});
}

std::vector<size_t> Pipeline::token_counts(const PipelineInputs& inputs) const {
  if (!impl_) throw_disposed(nullptr);
  std::shared_lock lock(impl_->lifetime);
  if (impl_->disposed) throw_disposed(impl_.get());
  EncodeOptions enc = impl_->encode_options();  // as forward() encodes, minus the padding
  enc.padding = Padding::none;
  std::vector<size_t> counts;
  counts.reserve(inputs.size());
  for (const auto& e : impl_->tokenizer->encode_many(inputs.texts, inputs.text_pairs, enc)) counts.push_back(e.ids.size());
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
  if (impl_->decoder_session) {  // an encoder-decoder's two graphs count as one model
    const uint64_t decoder_bytes = model_weight_bytes(impl_->decoder_file);
    f.weight_bytes += decoder_bytes;
    f.mapped_weight_bytes += std::min(impl_->decoder_session->mapped_weight_bytes(), decoder_bytes);
  }
  f.private_bytes = f.weight_bytes - f.mapped_weight_bytes;
  return f;
}

}  // namespace transformers
