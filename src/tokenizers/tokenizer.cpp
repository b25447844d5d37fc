// transformers::Tokenizer: glues the components of a tokenizer.json together the way
// Transformers.js 4.x (@huggingface/tokenizers + PreTrainedTokenizer._call) does.
#include "transformers/tokenizer.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <fstream>
#include <limits>
#include <sstream>
#include <unordered_set>

#include "added_tokens.hpp"
#include "components.hpp"
#include "transformers/error.hpp"

namespace transformers {

using namespace tokenizers;

namespace {
// Index of the section (between added tokens) being encoded on this thread.
thread_local size_t t_section_index = 0;

constexpr size_t kNoLimit = std::numeric_limits<size_t>::max();

std::string read_file(const std::filesystem::path& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ModelLoadError(std::string("cannot open ") + what + " '" + path.string() + "'");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw ModelLoadError(std::string("cannot read ") + what + " '" + path.string() + "'");
  return ss.str();
}

json parse_json(std::string_view text, const JsonSource& source) {
  json j;
  try {
    j = json::parse(text.begin(), text.end());
  } catch (const json::parse_error& e) {
    source.fail("file", std::string("is not valid JSON (") + e.what() + ")");
  }
  if (!j.is_object()) source.fail("file", std::string("must hold a JSON object, got ") + json_type_name(j));
  return j;
}

inline Span span_of(const NormalizedString& s, Range r) { return {s.align[r.begin].begin, s.align[r.end - 1].end}; }

inline void trim_end(const std::u32string& t, Range& r) {
  while (r.end > r.begin && unicode::is_js_whitespace(t[r.end - 1])) --r.end;
}
inline void trim_start(const std::u32string& t, Range& r) {
  while (r.begin < r.end && unicode::is_js_whitespace(t[r.begin])) ++r.begin;
}

// Applies lstrip/rstrip of matched added tokens to their neighbours (String.trimEnd/trimStart).
void strip_around_tokens(const std::u32string& t, std::vector<Segment>& segs, size_t from) {
  for (size_t i = from; i < segs.size(); ++i) {
    const AddedToken* tok = segs[i].token;
    if (!tok) continue;
    // A neighbour that is itself a token and loses characters is no longer that token.
    if (tok->lstrip && i > from) {
      Segment& prev = segs[i - 1];
      const Range before = prev.range;
      trim_end(t, prev.range);
      if (prev.token && prev.range.end != before.end) prev.token = nullptr;
    }
    if (tok->rstrip && i + 1 < segs.size()) {
      Segment& next = segs[i + 1];
      const Range before = next.range;
      trim_start(t, next.range);
      if (next.token && next.range.begin != before.begin) next.token = nullptr;
    }
  }
}

// processed_text.trim().split(/\s+/).join(" ")
void remove_space(NormalizedString& s) {
  size_t w = 0;
  bool pending_space = false;
  for (size_t r = 0; r < s.size(); ++r) {
    if (unicode::is_js_whitespace(s.text[r])) {
      pending_space = w > 0;
      continue;
    }
    if (pending_space) {
      s.text[w] = ' ';
      s.align[w] = s.align[r - 1];
      ++w;
      pending_space = false;
    }
    s.text[w] = s.text[r];
    s.align[w] = s.align[r];
    ++w;
  }
  s.text.resize(w);
  s.align.resize(w);
}

// Per-thread scratch buffers are reused across calls; one huge text must not pin its memory.
constexpr size_t kScratchKeep = size_t(1) << 16;
template <class V>
void reset_scratch(V& v) {
  if (v.capacity() > kScratchKeep) V().swap(v);
  v.clear();
}
void reset_scratch(NormalizedString& s) {
  reset_scratch(s.text);
  reset_scratch(s.align);
}

}  // namespace

struct Tokenizer::Impl final : TokenResolver {
  std::string label;
  std::unique_ptr<Normalizer> normalizer;
  std::unique_ptr<PreTokenizer> pre_tokenizer;
  std::unique_ptr<Model> model;
  std::unique_ptr<PostProcessor> post_processor;
  std::unique_ptr<Decoder> decoder;

  std::deque<AddedToken> added;  // stable addresses
  std::unordered_map<std::string, const AddedToken*, StringHash, std::equal_to<>> added_map;
  size_t added_max_chars = 0;  // longest key in code points
  AddedTokenSplitter split_unnormalized;
  AddedTokenSplitter split_normalized;
  TokenMap id_overrides;  // model tokens whose id Transformers.js takes from added_tokens instead
  std::unordered_set<std::string, StringHash, std::equal_to<>> special_tokens;
  std::deque<std::string> interned;

  size_t model_max_length = kNoLimit;
  bool pad_left = false;
  std::string pad_token;
  int64_t pad_id = -1;
  bool clean_up_tokenization_spaces = true;
  bool remove_space_option = false;
  bool lowercase_and_remove_accent = false;

  // TokenResolver
  int64_t resolve(std::string_view token) const override {
    if (auto it = added_map.find(token); it != added_map.end()) return it->second->id;
    if (const int64_t* id = model->vocab().find(token)) return *id;
    return model->unk_token_id();
  }
  std::string_view intern(std::string_view token) override {
    if (auto k = model->vocab().key(token); !k.empty()) return k;
    return interned.emplace_back(token);
  }

  // The added token whose key is exactly t[r], if any.
  const std::pair<const std::string, const AddedToken*>* whole_match(const std::u32string& t, Range r) const {
    if (added_map.empty() || r.size() > added_max_chars) return nullptr;
    thread_local std::string utf8;
    utf8.clear();
    for (size_t i = r.begin; i < r.end; ++i) unicode::append_utf8(utf8, t[i]);
    auto it = added_map.find(std::string_view(utf8));
    return it == added_map.end() ? nullptr : &*it;
  }

  void model_words(const NormalizedString& s, Range r, std::vector<Piece>& out) const {
    thread_local std::vector<Range> words;
    reset_scratch(words);
    const NormalizedString* text = &s;
    if (pre_tokenizer && pre_tokenizer->rewrites()) {
      thread_local NormalizedString rewritten;
      reset_scratch(rewritten);
      rewritten.text.assign(s.text, r.begin, r.size());
      rewritten.align.assign(s.align.begin() + static_cast<std::ptrdiff_t>(r.begin),
                             s.align.begin() + static_cast<std::ptrdiff_t>(r.end));
      pre_tokenizer->rewrite(rewritten, t_section_index == 0);
      text = &rewritten;
      r = {0, rewritten.size()};
    }
    if (pre_tokenizer)
      pre_tokenizer->pre_tokenize(*text, r, words);
    else
      words.push_back(r);
    const size_t first = out.size();
    for (Range w : words) model->tokenize(*text, w, out);
    model->finish_section(out, first);
    if (!id_overrides.empty()) {
      for (size_t i = first; i < out.size(); ++i)
        if (auto it = id_overrides.find(out[i].token); it != id_overrides.end()) out[i].id = it->second;
    }
  }

  // One plain-text section (no unnormalized added token inside).
  void encode_section(const NormalizedString& input, Range r, std::vector<Piece>& out) const {
    if (r.empty()) return;
    if (auto* m = whole_match(input.text, r)) {
      out.push_back({m->second->id, m->first, span_of(input, r)});
      return;
    }
    thread_local NormalizedString s;
    reset_scratch(s);
    s.text.assign(input.text, r.begin, r.size());
    s.align.assign(input.align.begin() + static_cast<std::ptrdiff_t>(r.begin),
                   input.align.begin() + static_cast<std::ptrdiff_t>(r.end));
    if (remove_space_option) remove_space(s);
    if (lowercase_and_remove_accent) {
      unicode::to_lower_js(s);
      unicode::remove_if(s, unicode::is_mark);
    }
    if (normalizer) normalizer->normalize(s);
    if (s.size() == 0) return;
    const Range all{0, s.size()};
    if (auto* m = whole_match(s.text, all)) {
      out.push_back({m->second->id, m->first, span_of(s, all)});
      return;
    }
    if (split_normalized.empty()) {
      model_words(s, all, out);
      return;
    }
    thread_local std::vector<Segment> subs;
    reset_scratch(subs);
    split_normalized.split(s.text, all, subs);
    strip_around_tokens(s.text, subs, 0);
    for (const Segment& seg : subs) {
      if (seg.range.empty()) continue;
      if (seg.token) {
        out.push_back({seg.token->id, seg.key, span_of(s, seg.range)});
        continue;
      }
      if (auto* m = whole_match(s.text, seg.range)) {
        out.push_back({m->second->id, m->first, span_of(s, seg.range)});
        continue;
      }
      model_words(s, seg.range, out);
    }
  }

  void encode_text(std::string_view text, std::vector<Piece>& out) const {
    thread_local NormalizedString input;
    reset_scratch(input);
    unicode::decode_utf8(text, input);
    if (input.size() == 0) return;
    t_section_index = 0;
    if (split_unnormalized.empty()) {
      encode_section(input, {0, input.size()}, out);
      return;
    }
    thread_local std::vector<Segment> segs;
    reset_scratch(segs);
    split_unnormalized.split(input.text, {0, input.size()}, segs);
    strip_around_tokens(input.text, segs, 0);
    // encode_section uses its own scratch buffers, so `segs` stays valid across the loop.
    for (size_t k = 0; k < segs.size(); ++k) {
      const Segment& seg = segs[k];
      if (seg.range.empty()) continue;
      if (seg.token) {
        out.push_back({seg.token->id, seg.key, span_of(input, seg.range)});
      } else {
        t_section_index = k;  // Transformers.js' section_index (Metaspace prepend_scheme "first")
        encode_section(input, seg.range, out);
      }
    }
  }

  Encoding encode_one(std::string_view a, const std::string_view* b, bool add_special_tokens) const {
    thread_local std::vector<Piece> pa, pb, merged;
    thread_local std::vector<int64_t> types;
    reset_scratch(pa);
    reset_scratch(pb);
    reset_scratch(merged);
    reset_scratch(types);
    model->begin_encode();
    encode_text(a, pa);
    // Transformers.js treats an empty text_pair as no pair at all (`text_pair || null`).
    const bool has_pair = b && !b->empty();
    if (has_pair) encode_text(*b, pb);
    Encoding e;
    const std::vector<Piece>* pieces = &merged;
    if (post_processor) {
      post_processor->process(pa, has_pair ? &pb : nullptr, add_special_tokens, merged, types);
    } else {
      merged = pa;
      merged.insert(merged.end(), pb.begin(), pb.end());
      types.assign(merged.size(), 0);
    }
    const size_t n = pieces->size();
    e.ids.resize(n);
    e.tokens.resize(n);
    e.offsets.resize(n);
    e.attention_mask.assign(n, 1);
    e.token_type_ids.assign(types.begin(), types.end());
    e.token_type_ids.resize(n, 0);
    for (size_t i = 0; i < n; ++i) {
      const Piece& p = (*pieces)[i];
      e.ids[i] = p.id;
      e.tokens[i].assign(p.token);
      e.offsets[i] = {p.offsets.begin, p.offsets.end};
    }
    return e;
  }

  // PreTrainedTokenizer._call's padding/truncation over a batch.
  void pad_and_truncate(std::vector<Encoding>& batch, const EncodeOptions& o, bool need_rectangle) const {
    size_t max_len = o.max_length ? *o.max_length : model_max_length;
    const Padding padding = (need_rectangle && o.padding == Padding::none) ? Padding::longest : o.padding;
    if (padding == Padding::longest) {
      size_t longest = 0;
      for (const auto& e : batch) longest = std::max(longest, e.ids.size());
      max_len = std::min(longest, max_len);
    }
    max_len = std::min(max_len, model_max_length);
    if (padding != Padding::none || o.truncation) {
      for (auto& e : batch) {
        const size_t len = e.ids.size();
        if (len == max_len) continue;
        if (len > max_len) {
          if (o.truncation) {
            e.ids.resize(max_len);
            e.tokens.resize(max_len);
            e.attention_mask.resize(max_len);
            e.token_type_ids.resize(max_len);
            e.offsets.resize(max_len);
          }
        } else if (padding != Padding::none) {
          if (max_len == kNoLimit)
            throw InvalidInputError("padding to max_length needs a max_length: set EncodeOptions::max_length "
                                    "(the tokenizer has no model_max_length)");
          if (pad_id < 0)
            throw InvalidInputError("cannot pad: the tokenizer has no pad_token (tokenizer_config.json pad_token / "
                                    "eos_token)");
          pad(e, max_len - len);
        }
      }
    }
    if (need_rectangle) {
      for (const auto& e : batch)
        if (e.ids.size() != batch.front().ids.size())
          throw InvalidInputError(
              "cannot make a rectangular batch: sequences have different lengths after padding; enable truncation "
              "(a sequence is longer than max_length " +
              std::to_string(max_len) + ")");
    }
  }

  void pad(Encoding& e, size_t n) const {
    auto grow = [&](auto& v, const auto& value) {
      if (pad_left)
        v.insert(v.begin(), n, value);
      else
        v.insert(v.end(), n, value);
    };
    grow(e.ids, pad_id);
    grow(e.tokens, pad_token);
    grow(e.attention_mask, int64_t{0});
    grow(e.token_type_ids, int64_t{0});
    grow(e.offsets, std::pair<size_t, size_t>{0, 0});
  }

  void load(const json& tok, const json& cfg, const JsonSource& tsrc, const JsonSource& csrc);
};

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
  const std::string tok = read_file(tokenizer_json, "tokenizer.json");
  std::string cfg;
  if (!tokenizer_config_json.empty()) cfg = read_file(tokenizer_config_json, "tokenizer_config.json");
  return from_json_labeled(tok, cfg, tokenizer_json.string(), tokenizer_config_json.string());
}

Tokenizer Tokenizer::from_json_labeled(std::string_view tokenizer_json, std::string_view tokenizer_config_json,
                                       const std::string& tokenizer_label, const std::string& config_label) {
  JsonSource tsrc(tokenizer_label);
  JsonSource csrc(config_label);
  auto impl = std::make_unique<Impl>();
  impl->label = tokenizer_label;
  try {
    const json tok = parse_json(tokenizer_json, tsrc);
    const json cfg = tokenizer_config_json.find_first_not_of(" \t\r\n") == std::string_view::npos
                         ? json::object()
                         : parse_json(tokenizer_config_json, csrc);
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
  batch.push_back(impl_->encode_one(text, nullptr, options.add_special_tokens));
  impl_->pad_and_truncate(batch, options, false);
  return std::move(batch.front());
}

Encoding Tokenizer::encode_pair(std::string_view text, std::string_view text_pair, const EncodeOptions& options) const {
  impl();
  std::vector<Encoding> batch;
  batch.push_back(impl_->encode_one(text, &text_pair, options.add_special_tokens));
  impl_->pad_and_truncate(batch, options, false);
  return std::move(batch.front());
}

BatchEncoding Tokenizer::encode_batch(const std::vector<std::string>& texts, const EncodeOptions& options) const {
  impl();
  BatchEncoding out;
  if (texts.empty()) return out;
  std::vector<Encoding> batch;
  batch.reserve(texts.size());
  for (const auto& t : texts) batch.push_back(impl_->encode_one(t, nullptr, options.add_special_tokens));
  impl_->pad_and_truncate(batch, options, true);
  out.batch = batch.size();
  out.seq_len = batch.front().ids.size();
  const size_t total = out.batch * out.seq_len;
  out.input_ids.reserve(total);
  out.attention_mask.reserve(total);
  out.token_type_ids.reserve(total);
  for (const auto& e : batch) {
    out.input_ids.insert(out.input_ids.end(), e.ids.begin(), e.ids.end());
    out.attention_mask.insert(out.attention_mask.end(), e.attention_mask.begin(), e.attention_mask.end());
    out.token_type_ids.insert(out.token_type_ids.end(), e.token_type_ids.begin(), e.token_type_ids.end());
  }
  return out;
}

std::string Tokenizer::decode(const std::vector<int64_t>& ids, bool skip_special_tokens) const {
  const Impl& m = impl();
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  const std::string_view unk = m.model->unk_token();
  for (int64_t id : ids) {
    auto t = m.model->vocab().token(id);
    std::string_view s = t ? *t : unk;
    if (skip_special_tokens && m.special_tokens.find(s) != m.special_tokens.end()) continue;
    tokens.emplace_back(s);
  }
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

}  // namespace transformers
