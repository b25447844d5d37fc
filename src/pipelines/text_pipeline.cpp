#include "pipelines/text_pipeline.hpp"

#include <future>

#include "pipelines/live_pipelines.hpp"
#include "transformers/error.hpp"

namespace transformers {

namespace {
// Models whose position ids start after the padding index (RoBERTa's create_position_ids_from_input_ids):
// max_position_embeddings counts two positions an input cannot use.
bool positions_offset_by_padding(const std::string& model_type) {
  for (const char* t : {"roberta", "xlm-roberta", "xlm-roberta-xl", "camembert", "longformer", "mpnet",
                        "data2vec-text", "roberta-prelayernorm", "ibert", "luke"})
    if (model_type == t) return true;
  return false;
}

size_t position_limit(const ModelConfig& config, const Session& session, size_t model_max_length) {
  size_t limit = model_max_length;
  if (config.max_position_embeddings > 0) {
    const int offset = positions_offset_by_padding(config.model_type) ? 2 : 0;
    if (config.max_position_embeddings > offset)
      limit = std::min(limit, static_cast<size_t>(config.max_position_embeddings - offset));
  }
  for (const auto& in : session.inputs())
    if (in.name == "input_ids" && in.dims.size() == 2 && in.dims[1] > 0)
      limit = std::min(limit, static_cast<size_t>(in.dims[1]));
  return limit;
}
}  // namespace

EncodeOptions Pipeline::Impl::encode_options() const {
  EncodeOptions enc;
  enc.padding = Padding::longest;
  enc.truncation = true;
  enc.max_length = max_tokens;
  return enc;
}

Pipeline::Impl::Impl(std::string task_name, const std::filesystem::path& model, const PipelineOptions& options,
                     const std::string& file_name)
    : task(std::move(task_name)), model_path(model) {
  ModelFolder folder(model);
  config = folder.config();
  ModelFileRequest request;
  request.dtype = options.dtype;
  request.model_file_name = file_name.empty() ? options.model_file_name : file_name;
  dtype = folder.resolve_dtype(request);
  onnx_file = folder.onnx_file(request);
  // The tokenizer (tens of ms of JSON for a 30k vocabulary) loads on another thread while ONNX Runtime
  // builds the session: load time is the longer of the two, not their sum.
  auto tokenizer_loading = std::async(std::launch::async, [json = folder.tokenizer_json(),
                                                           config = folder.tokenizer_config_json()] {
    return Tokenizer::from_files(json, config);
  });
  release_policy = options.release_policy.value_or(allocator_options().policy);
  // A caller may group pipelines under an owner of its own; otherwise each pipeline is its own owner.
  owns_memory_owner = options.session.memory_owner == 0;
  // While the pipeline lives, blocks freed between runs are kept for its next run (mapping fresh pages
  // every run costs page faults); `immediate` is honoured at dispose, which returns them all.
  const std::optional<ReleasePolicy> live_policy =
      release_policy.kind == ReleaseKind::immediate ? std::optional(ReleasePolicy::retain()) : options.release_policy;
  memory_owner = owns_memory_owner ? register_memory_owner(task + " " + model.filename().string() + " (" + dtype + ")",
                                                           live_policy)
                                   : options.session.memory_owner;
  live_pipelines::add(this, {memory_owner, task, model, dtype, onnx_file});
  SessionOptions session_options = options.session;
  session_options.memory_owner = memory_owner;
  try {  // the destructor does not run for a constructor that throws
    session.emplace(onnx_file, session_options);
    if (!session->has_input("input_ids")) {
      throw ModelLoadError("the graph " + onnx_file.string() + " has no 'input_ids' input; a text pipeline needs it");
    }
    tokenizer.emplace(tokenizer_loading.get());
    max_tokens = position_limit(config, *session, tokenizer->model_max_length());
  } catch (...) {
    release();
    throw;
  }
}

Pipeline::Impl::~Impl() { release(); }

void Pipeline::Impl::release() {
  if (!memory_owner) return;
  decoder_session.reset();
  session.reset();
  tokenizer.reset();
  live_pipelines::remove(this);
  if (owns_memory_owner) unregister_memory_owner(memory_owner);
  memory_owner = 0;
  // Our allocator already returned the session's blocks per the policy; the C heap keeps what ONNX
  // Runtime and the tokenizer freed until asked (the usual "dispose did nothing" cause).
  if (release_policy.kind == ReleaseKind::immediate) trim();
}

// What the graph cannot take is refused here, naming the input, instead of failing inside ONNX
// Runtime with an operator's message (or, for an out-of-range id, reading past an embedding table).
void Pipeline::Impl::check_encoding(const BatchEncoding& e, size_t texts) const {
  // One rule for every call: an input of no tokens is an error, alone or in a batch (in a batch it
  // would otherwise be a row of padding, pooled into a meaningless vector).
  for (size_t row = 0; row < e.batch; ++row) {
    size_t tokens = 0;
    for (size_t k = 0; k < e.seq_len; ++k) tokens += e.attention_mask[row * e.seq_len + k] != 0;
    if (tokens > 0) continue;
    const std::string which = texts == 1 ? "the input has" : "input " + std::to_string(row) + " of " + std::to_string(texts) + " has";
    const std::string cause =
        tokenizer->model_max_length() == 0
            ? "tokenizer_config.json of " + model_path.string() + " sets model_max_length 0, so every input is cut to nothing"
            : "the tokenizer of " + model_path.string() + " adds no special tokens, so an empty text gives none";
    throw InvalidInputError(task + ": " + which + " no token after tokenization (" + cause + ")");
  }
  if (config.vocab_size <= 0) return;
  for (size_t i = 0; i < e.input_ids.size(); ++i) {
    const int64_t id = e.input_ids[i];
    if (id >= 0 && id < config.vocab_size) continue;
    const std::string token = tokenizer->id_to_token(id).value_or("?");
    throw InvalidInputError(task + ": token '" + token + "' (id " + std::to_string(id) + ") of input " +
                            std::to_string(i / e.seq_len) + " is outside the model's vocabulary (config.json "
                            "vocab_size " + std::to_string(config.vocab_size) + "): the tokenizer of " +
                            model_path.string() + " does not match its model");
  }
}

void Pipeline::Impl::require_output(const std::string& name) const {
  for (const auto& o : session->outputs())
    if (o.name == name) return;
  throw ModelLoadError("the graph " + onnx_file.string() + " has no '" + name + "' output; " + task + " needs it");
}

void Pipeline::Impl::check_labels(size_t classes, const std::string& output) const {
  if (config.id2label.empty() || config.id2label.size() == classes) return;
  throw ModelLoadError("config.json of " + model_path.string() + " has " + std::to_string(config.id2label.size()) +
                       " labels in id2label, but the graph " + onnx_file.string() + " gives " +
                       std::to_string(classes) + " logits per " + (output == "logits" && task == "token-classification" ? "token" : "input") +
                       " ('" + output + "')");
}

Pipeline::Impl::Forward Pipeline::Impl::forward(const PipelineInputs& in, const std::vector<std::string>& output_names) {
  if (in.texts.empty()) throw InvalidInputError(task + ": no input texts");
  return forward(tokenizer->encode_many(in.texts, in.text_pairs, encode_options()), output_names);
}

Pipeline::Impl::Forward Pipeline::Impl::forward(std::vector<Encoding> rows, const std::vector<std::string>& output_names) {
  if (rows.empty()) throw InvalidInputError(task + ": no input texts");
  Forward f;
  f.rows = std::move(rows);
  tokenizer->pad_to_longest(f.rows);
  f.encoding = BatchEncoding::stack(f.rows);
  const BatchEncoding& e = f.encoding;
  check_encoding(e, f.rows.size());
  // Transformers.js feeds token_type_ids only when the graph takes them (zeros when the tokenizer has none).
  std::vector<int64_t> zeros;
  const int64_t* token_types = e.token_type_ids.data();
  if (session->has_input("token_type_ids") && e.token_type_ids.size() != e.input_ids.size()) {
    zeros.assign(e.input_ids.size(), 0);
    token_types = zeros.data();
  }
  // Rows [first, first + count) of the padded batch through the graph (views, no copies).
  auto run_rows = [&](size_t first, size_t count) {
    const std::vector<int64_t> dims = {static_cast<int64_t>(count), static_cast<int64_t>(e.seq_len)};
    const size_t offset = first * e.seq_len, bytes = count * e.seq_len * sizeof(int64_t);
    std::vector<InputTensor> inputs;
    inputs.push_back({"input_ids", ElementType::int64, dims, e.input_ids.data() + offset, bytes});
    if (session->has_input("attention_mask"))
      inputs.push_back({"attention_mask", ElementType::int64, dims, e.attention_mask.data() + offset, bytes});
    if (session->has_input("token_type_ids"))
      inputs.push_back({"token_type_ids", ElementType::int64, dims, token_types + offset, bytes});
    return session->run(inputs, output_names);
  };
  // Working memory grows with rows x length (attention with its square): a forward of more padded tokens
  // than kChunkTokens runs in consecutive groups of rows, all padded alike, so the outputs are those of one
  // run, concatenated. This bounds what one call's rows cost wherever they come from (a task's own rows:
  // zero-shot's premise x label pairs, question-answering's windows).
  const size_t rows_per_run = std::max<size_t>(1, kChunkTokens / std::max<size_t>(1, e.seq_len));
  if (e.batch <= rows_per_run) {
    f.outputs = run_rows(0, e.batch);
    return f;
  }
  for (size_t first = 0; first < e.batch; first += rows_per_run) {
    std::vector<OutputTensor> part = run_rows(first, std::min(rows_per_run, e.batch - first));
    if (f.outputs.empty()) {
      f.outputs = std::move(part);
      continue;
    }
    for (size_t k = 0; k < part.size(); ++k) {
      OutputTensor& all = f.outputs[k];
      if (all.dims.empty() || part[k].dims.size() != all.dims.size())
        throw Error(task + ": output '" + all.name + "' changed rank between row groups");
      all.dims[0] += part[k].dims[0];
      all.data.insert(all.data.end(), part[k].data.begin(), part[k].data.end());
      all.int_data.insert(all.int_data.end(), part[k].int_data.begin(), part[k].int_data.end());
    }
  }
  return f;
}

}  // namespace transformers
