// Tokenizer built from a Hugging Face tokenizer.json (+ tokenizer_config.json), matching Transformers.js.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace transformers {

// One encoded sequence (no padding unless requested).
struct Encoding {
  std::vector<int64_t> ids;
  std::vector<std::string> tokens;
  std::vector<int64_t> attention_mask;
  std::vector<int64_t> token_type_ids;
  // Byte offsets [begin, end) into the input text (UTF-8); (0,0) for special tokens.
  std::vector<std::pair<size_t, size_t>> offsets;
  // With a Python truncation strategy: the parts cut off, each post-processed like the main one
  // (Python tokenizers' `overflowing`; for a pair, every overflowing part of the first text with
  // the second, then the first with every overflowing part of the second).
  std::vector<Encoding> overflowing;
  // Tokens were cut off by end truncation (Transformers.js' kind) to fit the maximum length.
  bool truncated = false;
};

enum class Padding { none, longest, max_length };

// `end` is Transformers.js' truncation: the post-processed sequence is cut at the end, special
// tokens included. The others are Python tokenizers' (Transformers.js has none of them): the
// texts are cut before the special tokens are added, keeping room for them.
enum class TruncationStrategy { end, longest_first, only_first, only_second };
enum class TruncationSide { right, left };

struct EncodeOptions {
  bool add_special_tokens = true;
  Padding padding = Padding::none;
  bool truncation = false;
  TruncationStrategy truncation_strategy = TruncationStrategy::end;
  // Python strategies only: tokens repeated between consecutive overflowing parts.
  size_t stride = 0;
  // Python strategies only: unset = tokenizer_config.json truncation_side (default right).
  std::optional<TruncationSide> truncation_side;
  // With truncation: limit in tokens (special tokens included); unset = model_max_length.
  // With Padding::max_length: the length to pad to; unset = model_max_length.
  std::optional<size_t> max_length;
  // encode_batch / encode_many: threads to spread the texts over; 1 = the caller's only; 0 = one per
  // hardware thread, as many as there are 64 kB of text for.
  size_t num_threads = 0;
};

// A padded batch, row-major [batch, seq_len] as a model takes it.
struct BatchEncoding {
  size_t batch = 0;
  size_t seq_len = 0;
  std::vector<int64_t> input_ids;
  std::vector<int64_t> attention_mask;
  std::vector<int64_t> token_type_ids;
  std::vector<size_t> truncated;  // indices of the inputs whose tokens were cut to fit seq_len

  // Rows of equal length (padded) as one batch; token_type_ids left empty unless every row has them.
  static BatchEncoding stack(const std::vector<Encoding>& rows);
};

class Tokenizer {
 public:
  // Throws ModelLoadError naming the file, component and field on bad input.
  static Tokenizer from_files(const std::filesystem::path& tokenizer_json,
                              const std::filesystem::path& tokenizer_config_json);
  // tokenizer_config_json may be empty (defaults apply).
  static Tokenizer from_json(std::string_view tokenizer_json, std::string_view tokenizer_config_json);

  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;
  ~Tokenizer();

  // Throws InvalidInputError on invalid UTF-8.
  Encoding encode(std::string_view text, const EncodeOptions& options = {}) const;
  Encoding encode_pair(std::string_view text, std::string_view text_pair, const EncodeOptions& options = {}) const;
  // Encodes every text (spread over options.num_threads threads), then pads/truncates as asked.
  std::vector<Encoding> encode_many(const std::vector<std::string>& texts, const EncodeOptions& options = {}) const;
  // Pairs: texts[i] with text_pairs[i] (empty = no pairs; otherwise one per text).
  std::vector<Encoding> encode_many(const std::vector<std::string>& texts, const std::vector<std::string>& text_pairs,
                                    const EncodeOptions& options) const;
  // Encodes every text (as encode_many) and pads to a rectangle (Padding::none is treated as longest).
  BatchEncoding encode_batch(const std::vector<std::string>& texts, const EncodeOptions& options = {}) const;
  BatchEncoding encode_batch(const std::vector<std::string>& texts, const std::vector<std::string>& text_pairs,
                             const EncodeOptions& options) const;

  // Pads encodings made without padding to the longest of them (the tokenizer's pad token and side).
  void pad_to_longest(std::vector<Encoding>& rows) const;

  std::string decode(const std::vector<int64_t>& ids, bool skip_special_tokens = false) const;
  // The same from token strings (Python's convert_tokens_to_string): what decode does after mapping ids.
  std::string decode_tokens(std::vector<std::string> tokens, bool skip_special_tokens = false) const;

  std::optional<int64_t> token_to_id(std::string_view token) const;
  std::optional<std::string> id_to_token(int64_t id) const;
  size_t vocab_size() const;
  // SIZE_MAX when tokenizer_config.json sets no limit (absent, or a huge value such as 1e30).
  size_t model_max_length() const;
  // -1 when the tokenizer has no pad token (pad_token, else eos_token); padding then throws.
  int64_t pad_token_id() const;
  // tokenizer_config.json's token for "mask_token", "sep_token", "cls_token", "unk_token", "bos_token",
  // "eos_token" or "pad_token" (as Transformers.js reads it), and its id in the vocabulary.
  std::optional<std::string> special_token(std::string_view key) const;
  std::optional<int64_t> special_token_id(std::string_view key) const;
  // An added token marked special (Transformers.js' all_special_ids).
  bool is_special_id(int64_t id) const;
  // The model's prefix of word-continuing tokens (WordPiece "##"); empty when it has none.
  std::string continuing_subword_prefix() const;

 private:
  struct Impl;
  explicit Tokenizer(std::unique_ptr<Impl> impl);
  const Impl& impl() const;  // throws transformers::Error when moved from
  static Tokenizer from_json_labeled(std::string_view tokenizer_json, std::string_view tokenizer_config_json,
                                     const std::string& tokenizer_label, const std::string& config_label);
  std::unique_ptr<Impl> impl_;
};

}  // namespace transformers
