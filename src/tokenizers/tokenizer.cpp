// transformers::Tokenizer: glues the components of a tokenizer.json together the way
// Transformers.js 4.x (@huggingface/tokenizers + PreTrainedTokenizer._call) does.
#include "transformers/tokenizer.hpp"

#include <algorithm>
#include <cmath>
#include <exception>
#include <fstream>
#include <sstream>
#include <thread>

#include "core/files.hpp"
#include "tokenizer_impl.hpp"
#include "transformers/error.hpp"

namespace transformers {

using namespace tokenizers;

void Tokenizer::Impl::load(const json& tok, const json& cfg, const JsonSource& tsrc, const JsonSource& csrc) {
  Fields top(tok, tsrc, "tokenizer");
  Fields config(cfg, csrc, "tokenizer_config");

  const json null_json;
  auto component = [&](const char* key) -> const json& {
    const json* v = top.find(key);
    return v ? *v : null_json;
  };
  const json* model_json = top.find("model");
  if (!model_json) tsrc.fail("model", "is missing");

  normalizer = create_normalizer(component("normalizer"), tsrc);
  pre_tokenizer = create_pre_tokenizer(component("pre_tokenizer"), tsrc);
  model = create_model(*model_json, tsrc);
  if (pre_tokenizer && pre_tokenizer->byte_level() && !model->set_byte_level(true))
    tsrc.fail("pre_tokenizer", "ByteLevel is supported with a BPE model only");
  decoder = create_decoder(component("decoder"), tsrc);

  // Added tokens join the model's vocabulary (as in Transformers.js).
  if (const json* at = top.find("added_tokens")) {
    if (!at->is_array()) top.fail("added_tokens", std::string("must be an array, got ") + json_type_name(*at));
    for (size_t i = 0; i < at->size(); ++i) {
      Fields f((*at)[i], tsrc, "added_tokens[" + std::to_string(i) + "]");
      AddedToken t;
      t.content = f.string("content");
      t.id = f.integer("id");
      t.single_word = f.boolean("single_word", false);
      t.lstrip = f.boolean("lstrip", false);
      t.rstrip = f.boolean("rstrip", false);
      t.special = f.boolean("special", false);
      t.normalized = f.boolean("normalized", !t.special);
      unicode::decode_utf8(t.content);  // validates
      if (!model->vocab().set(t.content, t.id)) f.fail("id", "is out of range (" + std::to_string(t.id) + ")");
      added.push_back(std::move(t));
    }
  }
  // WordLevel's unknown token comes from the config (Transformers.js' Legacy model).
  if (const json* unk = config.find("unk_token")) {
    if (unk->is_string()) model->set_config_unk_token(unk->get<std::string>());
    else if (unk->is_object() && unk->contains("content") && (*unk)["content"].is_string())
      model->set_config_unk_token((*unk)["content"].get<std::string>());
  }
  model->finalize();
  if (decoder) {
    std::vector<std::string> contents;
    for (const AddedToken& t : added) contents.push_back(t.content);
    decoder->set_added_tokens(contents);
  }

  std::vector<std::pair<std::string, bool>> keys;  // key, goes to the normalized splitter
  for (const AddedToken& t : added) {
    if (t.special) special_tokens.insert(t.content);
    added_map[t.content] = &t;
    if (t.normalized && normalizer) {
      NormalizedString s;
      unicode::decode_utf8(t.content, s);
      normalizer->normalize(s);
      std::string norm = unicode::to_utf8(s.text);
      added_map[norm] = &t;
      keys.emplace_back(std::move(norm), true);
    } else {
      keys.emplace_back(t.content, false);
    }
  }
  for (const auto& [key, tok_ptr] : added_map) {
    added_max_chars = std::max(added_max_chars, unicode::decode_utf8(key).size());
    if (const int64_t* id = model->vocab().find(key); id && *id != tok_ptr->id) id_overrides[key] = tok_ptr->id;
  }
  for (const auto& [key, normalized] : keys) {
    auto it = added_map.find(key);
    (normalized ? split_normalized : split_unnormalized).add(unicode::decode_utf8(key), it->second, it->first);
  }

  post_processor = create_post_processor(component("post_processor"), tsrc, *this);

  // tokenizer_config.json
  if (const json* v = config.find("model_max_length")) {
    if (!v->is_number()) config.fail("model_max_length", std::string("must be a number, got ") + json_type_name(*v));
    const double d = v->get<double>();
    if (d < 0) config.fail("model_max_length", "must not be negative");
    // Hugging Face writes int(1e30) for "no limit"; anything beyond 2^53 means the same.
    model_max_length = d >= 9007199254740992.0 ? kNoLimit : static_cast<size_t>(v->is_number_float() ? std::floor(d) : v->get<uint64_t>());
  }
  if (auto side = config.optional_string("padding_side")) pad_left = *side != "right";
  if (auto side = config.optional_string("truncation_side")) truncate_left = *side == "left";
  auto token_from_config = [&](const char* key) -> std::optional<std::string> {
    const json* v = config.find(key);
    if (!v) return std::nullopt;
    if (v->is_string()) {
      if (v->get_ref<const std::string&>().empty()) return std::nullopt;
      return v->get<std::string>();
    }
    if (v->is_object()) {
      auto c = v->find("content");
      if (c != v->end() && c->is_string()) return c->get<std::string>();
    }
    if (v->is_boolean() && !v->get<bool>()) return std::nullopt;
    config.fail(key, std::string("must be a token string or an AddedToken object, got ") + json_type_name(*v));
  };
  for (const char* key : {"mask_token", "sep_token", "cls_token", "unk_token", "bos_token", "eos_token", "pad_token"})
    if (auto t = token_from_config(key)) config_tokens[key] = *t;
  for (const AddedToken& t : added)
    if (t.special) special_ids.insert(t.id);
  auto pad = token_from_config("pad_token");
  if (!pad) pad = token_from_config("eos_token");
  if (pad) {
    pad_token = *pad;
    if (const int64_t* id = model->vocab().find(pad_token)) pad_id = *id;
  }
  clean_up_tokenization_spaces = config.boolean("clean_up_tokenization_spaces", true);
  remove_space_option = config.boolean("remove_space", false);
  lowercase_and_remove_accent = config.boolean("do_lowercase_and_remove_accent", false);
  if (const json* extra = config.find("additional_special_tokens")) {
    if (!extra->is_array())
      config.fail("additional_special_tokens", std::string("must be an array, got ") + json_type_name(*extra));
    for (const json& t : *extra)
      if (t.is_string()) special_tokens.insert(t.get<std::string>());
  }
}

Tokenizer Tokenizer::from_json(std::string_view tokenizer_json, std::string_view tokenizer_config_json) {
  return from_json_labeled(tokenizer_json, tokenizer_config_json, "tokenizer.json", "tokenizer_config.json");
}

Tokenizer Tokenizer::from_files(const std::filesystem::path& tokenizer_json,
                                const std::filesystem::path& tokenizer_config_json) {
  const std::string tok = core::read_text_file(tokenizer_json, "tokenizer.json");
  std::string cfg;
  if (!tokenizer_config_json.empty()) cfg = core::read_text_file(tokenizer_config_json, "tokenizer_config.json");
  return from_json_labeled(tok, cfg, tokenizer_json.string(), tokenizer_config_json.string());
}

Tokenizer Tokenizer::from_json_labeled(std::string_view tokenizer_json, std::string_view tokenizer_config_json,
                                       const std::string& tokenizer_label, const std::string& config_label) {
  JsonSource tsrc(tokenizer_label);
  JsonSource csrc(config_label);
  auto impl = std::make_unique<Impl>();
  impl->label = tokenizer_label;
  try {
    const json tok = core::parse_json(tokenizer_json, tsrc);
    const json cfg = tokenizer_config_json.find_first_not_of(" \t\r\n") == std::string_view::npos
                         ? json::object()
                         : core::parse_json(tokenizer_config_json, csrc);
    impl->load(tok, cfg, tsrc, csrc);
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    // Anything a malformed file can still provoke (e.g. nlohmann type errors) is a load error.
    throw ModelLoadError(tokenizer_label + ": cannot load tokenizer: " + e.what());
  }
  return Tokenizer(std::move(impl));
}

Tokenizer::Tokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;
Tokenizer::~Tokenizer() = default;

const Tokenizer::Impl& Tokenizer::impl() const {
  if (!impl_) throw Error("transformers::Tokenizer used after it was moved from");
  return *impl_;
}

Encoding Tokenizer::encode(std::string_view text, const EncodeOptions& options) const {
  impl();
  std::vector<Encoding> batch;
  batch.push_back(impl_->encode_one(text, nullptr, options));
  impl_->pad_and_truncate(batch, options, false);
  return std::move(batch.front());
}

Encoding Tokenizer::encode_pair(std::string_view text, std::string_view text_pair, const EncodeOptions& options) const {
  impl();
  std::vector<Encoding> batch;
  batch.push_back(impl_->encode_one(text, &text_pair, options));
  impl_->pad_and_truncate(batch, options, false);
  return std::move(batch.front());
}

std::vector<Encoding> Tokenizer::encode_many(const std::vector<std::string>& texts, const EncodeOptions& options) const {
  return encode_many(texts, {}, options);
}

std::vector<Encoding> Tokenizer::encode_many(const std::vector<std::string>& texts, const std::vector<std::string>& text_pairs,
                                             const EncodeOptions& options) const {
  impl();
  if (!text_pairs.empty() && text_pairs.size() != texts.size()) {
    throw InvalidInputError("tokenizer: " + std::to_string(texts.size()) + " texts but " +
                            std::to_string(text_pairs.size()) + " text pairs");
  }
  auto encode_at = [&](size_t i) {
    if (text_pairs.empty()) return impl_->encode_one(texts[i], nullptr, options);
    const std::string_view pair = text_pairs[i];
    return impl_->encode_one(texts[i], &pair, options);
  };
  std::vector<Encoding> batch(texts.size());
  size_t threads = options.num_threads ? options.num_threads : std::max(1u, std::thread::hardware_concurrency());
  // Auto: threads pay off only when there is enough text to share out (64 kB each), so a
  // pipeline's usual batch stays on the caller's thread (no thread start, no extra malloc arena).
  size_t bytes = 0;
  for (const auto& t : texts) bytes += t.size();
  for (const auto& t : text_pairs) bytes += t.size();
  if (options.num_threads == 0) threads = std::min(threads, std::max<size_t>(1, bytes / 65536));
  threads = std::min(threads, texts.size());
  if (threads <= 1) {
    for (size_t i = 0; i < texts.size(); ++i) batch[i] = encode_at(i);
  } else {
    // Contiguous slices of about equal bytes; each thread has its own scratch buffers (thread_local).
    std::vector<size_t> cuts{0};
    size_t acc = 0;
    for (size_t i = 0; i < texts.size(); ++i) {
      acc += texts[i].size();
      if (acc * threads >= bytes * cuts.size() && cuts.size() < threads) cuts.push_back(i + 1);
    }
    cuts.push_back(texts.size());
    std::vector<std::exception_ptr> errors(cuts.size() - 1);
    auto work = [&](size_t k) {
      try {
        for (size_t i = cuts[k]; i < cuts[k + 1]; ++i) batch[i] = encode_at(i);
      } catch (...) {
        errors[k] = std::current_exception();
      }
    };
    std::vector<std::thread> pool;
    for (size_t k = 1; k + 1 < cuts.size(); ++k) pool.emplace_back(work, k);
    work(0);
    for (auto& t : pool) t.join();
    for (auto& e : errors)
      if (e) std::rethrow_exception(e);
  }
  impl_->pad_and_truncate(batch, options, false);
  return batch;
}

BatchEncoding Tokenizer::encode_batch(const std::vector<std::string>& texts, const EncodeOptions& options) const {
  return encode_batch(texts, {}, options);
}

BatchEncoding Tokenizer::encode_batch(const std::vector<std::string>& texts, const std::vector<std::string>& text_pairs,
                                      const EncodeOptions& options) const {
  impl();
  if (texts.empty()) return {};
  EncodeOptions o = options;
  if (o.padding == Padding::none) o.padding = Padding::longest;  // a rectangle is needed
  std::vector<Encoding> batch = encode_many(texts, text_pairs, o);
  impl_->pad_and_truncate(batch, o, true);  // checks the rectangle (padding is done)
  return BatchEncoding::stack(batch);
}

void Tokenizer::pad_to_longest(std::vector<Encoding>& rows) const {
  EncodeOptions o;
  o.padding = Padding::longest;
  impl().pad_and_truncate(rows, o, true);
}

BatchEncoding BatchEncoding::stack(const std::vector<Encoding>& rows) {
  BatchEncoding out;
  if (rows.empty()) return out;
  out.batch = rows.size();
  out.seq_len = rows.front().ids.size();
  const size_t total = out.batch * out.seq_len;
  out.input_ids.reserve(total);
  out.attention_mask.reserve(total);
  out.token_type_ids.reserve(total);
  for (const auto& e : rows) {
    if (e.ids.size() != out.seq_len || e.attention_mask.size() != out.seq_len)
      throw Error("BatchEncoding::stack: rows of " + std::to_string(out.seq_len) + " and " + std::to_string(e.ids.size()) + " tokens");
    if (e.truncated) out.truncated.push_back(static_cast<size_t>(&e - rows.data()));
    out.input_ids.insert(out.input_ids.end(), e.ids.begin(), e.ids.end());
    out.attention_mask.insert(out.attention_mask.end(), e.attention_mask.begin(), e.attention_mask.end());
    out.token_type_ids.insert(out.token_type_ids.end(), e.token_type_ids.begin(), e.token_type_ids.end());
  }
  if (out.token_type_ids.size() != total) out.token_type_ids.clear();
  return out;
}

std::string Tokenizer::decode(const std::vector<int64_t>& ids, bool skip_special_tokens) const {
  const Impl& m = impl();
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  const std::string_view unk = m.model->unk_token();
  for (int64_t id : ids) {
    auto t = m.model->vocab().token(id);
    tokens.emplace_back(t ? *t : unk);
  }
  return decode_tokens(std::move(tokens), skip_special_tokens);
}

std::string Tokenizer::decode_tokens(std::vector<std::string> tokens, bool skip_special_tokens) const {
  const Impl& m = impl();
  if (skip_special_tokens)
    std::erase_if(tokens, [&](const std::string& s) { return m.special_tokens.find(s) != m.special_tokens.end(); });
  std::string text;
  if (m.decoder) {
    m.decoder->decode_chain(tokens);
    for (const auto& t : tokens) text += t;
    // Transformers.js: the model's end_of_word_suffix becomes a space (then trim when skipping).
    if (const std::string_view suffix = m.model->end_of_word_suffix(); !suffix.empty()) {
      std::string replaced;
      for (size_t i = 0; i < text.size();) {
        if (text.compare(i, suffix.size(), suffix) == 0) {
          replaced += ' ';
          i += suffix.size();
        } else {
          replaced += text[i++];
        }
      }
      text = std::move(replaced);
      if (skip_special_tokens) {
        const std::u32string u = tokenizers::unicode::decode_utf8(text);
        size_t b = 0, e = u.size();
        while (b < e && tokenizers::unicode::is_js_whitespace(u[b])) ++b;
        while (e > b && tokenizers::unicode::is_js_whitespace(u[e - 1])) --e;
        text = tokenizers::unicode::to_utf8(std::u32string_view(u).substr(b, e - b));
      }
    }
  } else {
    for (size_t i = 0; i < tokens.size(); ++i) {
      if (i) text += ' ';
      text += tokens[i];
    }
  }
  if (m.clean_up_tokenization_spaces) text = clean_up_tokenization(text);
  return text;
}

std::optional<int64_t> Tokenizer::token_to_id(std::string_view token) const {
  if (const int64_t* id = impl().model->vocab().find(token)) return *id;
  return std::nullopt;
}

std::optional<std::string> Tokenizer::id_to_token(int64_t id) const {
  if (auto t = impl().model->vocab().token(id)) return std::string(*t);
  return std::nullopt;
}

size_t Tokenizer::vocab_size() const { return impl().model->vocab().size(); }
size_t Tokenizer::model_max_length() const { return impl().model_max_length; }
int64_t Tokenizer::pad_token_id() const { return impl().pad_id; }

std::optional<std::string> Tokenizer::special_token(std::string_view key) const {
  const auto& m = impl().config_tokens;
  auto it = m.find(std::string(key));
  if (it == m.end()) return std::nullopt;
  return it->second;
}

std::optional<int64_t> Tokenizer::special_token_id(std::string_view key) const {
  if (auto t = special_token(key)) return token_to_id(*t);
  return std::nullopt;
}

bool Tokenizer::is_special_id(int64_t id) const { return impl().special_ids.count(id) != 0; }

std::string Tokenizer::continuing_subword_prefix() const { return std::string(impl().model->continuing_subword_prefix()); }

}  // namespace transformers
