// The pieces a tokenizer.json is made of, each behind a small interface and built from its JSON by
// a factory that rejects unknown types: normalizer -> pre-tokenizer -> model -> post-processor,
// and a decoder for the way back. Internal to the tokenizer layer.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/json_fields.hpp"
#include "unicode.hpp"

namespace transformers::tokenizers {

using json = nlohmann::json;

// JSON access with errors naming file, component and field: the library's one helper (core/json_fields.hpp).
using core::Fields;
using core::JsonSource;
using core::json_type_name;

// Half-open range of code point indices into a NormalizedString.
struct Range {
  size_t begin = 0;
  size_t end = 0;
  // The word is " " + text[begin, end): set by a ByteLevel pre-tokenizer with add_prefix_space.
  bool prefix_space = false;
  size_t size() const { return end - begin; }
  bool empty() const { return begin == end; }
};

// One token: its id, its string (a view into storage owned by the tokenizer) and where it came from.
struct Piece {
  int64_t id = 0;
  std::string_view token;
  Span offsets;  // byte offsets into the original text; {0,0} for added special tokens
};

// Transparent hashing so that std::string_view lookups do not allocate.
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};
using TokenMap = std::unordered_map<std::string, int64_t, StringHash, std::equal_to<>>;

// The id <-> token tables a model owns; the tokenizer adds its added tokens to them (as
// Transformers.js does), so models see added tokens as vocabulary.
class Vocab {
 public:
  // Adds or re-points a token; false (and no change) for unusable ids (negative, absurdly sparse).
  bool set(std::string_view token, int64_t id);
  const int64_t* find(std::string_view token) const {
    auto it = map_.find(token);
    return it == map_.end() ? nullptr : &it->second;
  }
  // The stored entry (stable address) or nullptr.
  const TokenMap::value_type* entry(std::string_view token) const {
    auto it = map_.find(token);
    return it == map_.end() ? nullptr : &*it;
  }
  // The stored key for a token (stable address), or empty view.
  std::string_view key(std::string_view token) const {
    auto it = map_.find(token);
    return it == map_.end() ? std::string_view{} : std::string_view(it->first);
  }
  // Token for an id, or nullopt for a hole / out of range.
  std::optional<std::string_view> token(int64_t id) const {
    if (id < 0 || static_cast<uint64_t>(id) >= by_id_.size() || !by_id_[static_cast<size_t>(id)].second)
      return std::nullopt;
    return by_id_[static_cast<size_t>(id)].first;
  }
  size_t size() const { return map_.size(); }
  size_t id_capacity() const { return by_id_.size(); }
  size_t max_token_bytes() const { return max_token_bytes_; }
  void reserve(size_t n) { map_.reserve(n); }

 private:
  TokenMap map_;
  std::vector<std::pair<std::string_view, bool>> by_id_;
  size_t max_token_bytes_ = 0;
};

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  virtual void normalize(NormalizedString& text) const = 0;
};

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  // Appends the words of text[range] to `words`.
  virtual void pre_tokenize(const NormalizedString& text, Range range, std::vector<Range>& words) const = 0;
  // True for ByteLevel (or a Sequence holding one): the model then works on byte symbols.
  virtual bool byte_level() const { return false; }
  // True for Metaspace: the tokenizer first lets it rewrite a copy of the section's text.
  // `first_section`: the text is (part of) the first section the added tokens cut the input into.
  virtual bool rewrites() const { return false; }
  virtual void rewrite(NormalizedString& /*text*/, bool /*first_section*/) const {}
};

class Model {
 public:
  virtual ~Model() = default;
  // Appends the pieces of one pre-tokenized word.
  virtual void tokenize(const NormalizedString& text, Range word, std::vector<Piece>& out) const = 0;
  Vocab& vocab() { return vocab_; }
  const Vocab& vocab() const { return vocab_; }
  // The string emitted for unknown words (empty if the model has none) and its id (or -1).
  virtual std::string_view unk_token() const { return {}; }
  virtual int64_t unk_token_id() const { return -1; }
  // Called once after the tokenizer added its added tokens to the vocabulary.
  virtual void finalize() {}
  // Asks the model to map words to GPT-2's byte symbols (ByteLevel pre-tokenizer); false if it cannot.
  virtual bool set_byte_level(bool) { return false; }
  // Called after the words of one section were tokenized into out[first, end) (BPE's fuse_unk).
  virtual void finish_section(std::vector<Piece>& /*out*/, size_t /*first*/) const {}
  // BPE's end_of_word_suffix, which decode replaces by spaces (empty: none).
  virtual std::string_view end_of_word_suffix() const { return {}; }
  // WordPiece's continuing_subword_prefix ("##"): marks a token that continues a word (empty: none).
  virtual std::string_view continuing_subword_prefix() const { return {}; }
  // Called on the encoding thread before each encode (Unigram frees its unknown-piece strings).
  virtual void begin_encode() const {}
  // tokenizer_config.json's unk_token, before finalize (WordLevel takes its unknown token from it,
  // as Transformers.js' Legacy model does).
  virtual void set_config_unk_token(const std::string& /*token*/) {}

 protected:
  Vocab vocab_;
};

// Resolves a token string to the id Transformers.js gives it (added tokens first, then the
// vocabulary, then the unknown token).
class TokenResolver {
 public:
  virtual ~TokenResolver() = default;
  virtual int64_t resolve(std::string_view token) const = 0;
  // A stable view of a token string kept alive by the tokenizer.
  virtual std::string_view intern(std::string_view token) = 0;
};

class PostProcessor {
 public:
  virtual ~PostProcessor() = default;
  // Combines sequence A (and B when not null) into `out` with matching `type_ids`.
  virtual void process(const std::vector<Piece>& a, const std::vector<Piece>* b, bool add_special_tokens,
                       std::vector<Piece>& out, std::vector<int64_t>& type_ids) const = 0;
  // ByteLevel: passes both sequences on unchanged (inside a Sequence) and drops the pair at the end.
  virtual bool keeps_pair() const { return false; }
};

class Decoder {
 public:
  virtual ~Decoder() = default;
  // Transforms the token strings in place; the tokenizer joins them.
  virtual void decode_chain(std::vector<std::string>& tokens) const = 0;
  // The added tokens' contents (ByteLevel leaves them as they are).
  virtual void set_added_tokens(const std::vector<std::string>& /*contents*/) {}
};

// Factories: null JSON gives nullptr; unknown `type` or mistyped fields throw ModelLoadError.
std::unique_ptr<Normalizer> create_normalizer(const json& config, const JsonSource& source,
                                              std::string_view component = "normalizer");
std::unique_ptr<PreTokenizer> create_pre_tokenizer(const json& config, const JsonSource& source,
                                                   std::string_view component = "pre_tokenizer");
std::unique_ptr<Model> create_model(const json& config, const JsonSource& source);
std::unique_ptr<PostProcessor> create_post_processor(const json& config, const JsonSource& source,
                                                     TokenResolver& resolver,
                                                     std::string_view component = "post_processor");
std::unique_ptr<Decoder> create_decoder(const json& config, const JsonSource& source,
                                        std::string_view component = "decoder");

// Transformers.js clean_up_tokenization: removes the space before . ? ! , and contractions.
std::string clean_up_tokenization(std::string_view text);

}  // namespace transformers::tokenizers
