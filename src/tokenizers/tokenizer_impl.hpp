// Tokenizer::Impl: the loaded components and the tokenizer_config.json settings, shared by
// tokenizer.cpp (loading, public API, decode), encode.cpp (text -> pieces -> Encoding) and
// truncation.cpp (padding, truncation strategies, overflow).
#pragma once

#include <deque>
#include <limits>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "added_tokens.hpp"
#include "components.hpp"
#include "transformers/tokenizer.hpp"

namespace transformers {

namespace tokenizers {
constexpr size_t kNoLimit = std::numeric_limits<size_t>::max();
}  // namespace tokenizers

struct Tokenizer::Impl final : tokenizers::TokenResolver {
  using Piece = tokenizers::Piece;

  std::string label;
  std::unique_ptr<tokenizers::Normalizer> normalizer;
  std::unique_ptr<tokenizers::PreTokenizer> pre_tokenizer;
  std::unique_ptr<tokenizers::Model> model;
  std::unique_ptr<tokenizers::PostProcessor> post_processor;
  std::unique_ptr<tokenizers::Decoder> decoder;

  std::deque<tokenizers::AddedToken> added;  // stable addresses
  std::unordered_map<std::string, const tokenizers::AddedToken*, tokenizers::StringHash, std::equal_to<>> added_map;
  size_t added_max_chars = 0;  // longest key in code points
  tokenizers::AddedTokenSplitter split_unnormalized;
  tokenizers::AddedTokenSplitter split_normalized;
  tokenizers::TokenMap id_overrides;  // model tokens whose id Transformers.js takes from added_tokens instead
  std::unordered_set<std::string, tokenizers::StringHash, std::equal_to<>> special_tokens;
  std::deque<std::string> interned;
  // tokenizer_config.json's mask_token, sep_token, ... (Transformers.js reads them the same way).
  std::unordered_map<std::string, std::string> config_tokens;
  std::unordered_set<int64_t> special_ids;  // ids of the added tokens marked special (all_special_ids)

  size_t model_max_length = tokenizers::kNoLimit;
  bool pad_left = false;
  bool truncate_left = false;  // tokenizer_config.json truncation_side (Python strategies only)
  std::string pad_token;
  int64_t pad_id = -1;
  bool clean_up_tokenization_spaces = true;
  bool remove_space_option = false;
  bool lowercase_and_remove_accent = false;

  // TokenResolver
  int64_t resolve(std::string_view token) const override;
  std::string_view intern(std::string_view token) override;

  void load(const tokenizers::json& tok, const tokenizers::json& cfg, const tokenizers::JsonSource& tsrc,
            const tokenizers::JsonSource& csrc);

  // encode.cpp
  // The pieces of one text, before post-processing (appended to `out`).
  void encode_text(std::string_view text, std::vector<Piece>& out) const;
  // A (and B) through the post-processor into an Encoding (no padding or truncation).
  Encoding assemble(const std::vector<Piece>& a, const std::vector<Piece>* b, bool add_special_tokens) const;
  // encode / encode_pair: pieces, Python-style truncation when asked, post-processing.
  Encoding encode_one(std::string_view a, const std::string_view* b, const EncodeOptions& o) const;

  // truncation.cpp
  // PreTrainedTokenizer._call's padding and end truncation over a batch (overflowing encodings
  // are padded like their main one).
  void pad_and_truncate(std::vector<Encoding>& batch, const EncodeOptions& o, bool need_rectangle) const;
  void pad(Encoding& e, size_t n) const;
  // Python tokenizers' truncate_encodings + post-processing of every overflowing part.
  Encoding truncate_and_assemble(const std::vector<Piece>& a, const std::vector<Piece>* b,
                                 const EncodeOptions& o) const;

 private:
  const std::pair<const std::string, const tokenizers::AddedToken*>* whole_match(const std::u32string& t,
                                                                                 tokenizers::Range r) const;
  void model_words(const tokenizers::NormalizedString& s, tokenizers::Range r, std::vector<Piece>& out) const;
  void encode_section(const tokenizers::NormalizedString& input, tokenizers::Range r, std::vector<Piece>& out) const;
};

}  // namespace transformers
