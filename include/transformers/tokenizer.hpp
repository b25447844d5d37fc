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
};

enum class Padding { none, longest, max_length };

struct EncodeOptions {
  bool add_special_tokens = true;
  Padding padding = Padding::none;
  bool truncation = false;
  // With truncation: limit in tokens (special tokens included); unset = model_max_length.
  // With Padding::max_length: the length to pad to; unset = model_max_length.
  std::optional<size_t> max_length;
};

// A padded batch, row-major [batch, seq_len] as a model takes it.
struct BatchEncoding {
  size_t batch = 0;
  size_t seq_len = 0;
  std::vector<int64_t> input_ids;
  std::vector<int64_t> attention_mask;
  std::vector<int64_t> token_type_ids;
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
  // Encodes every text and pads to a rectangle (Padding::none is treated as longest).
  BatchEncoding encode_batch(const std::vector<std::string>& texts, const EncodeOptions& options = {}) const;

  std::string decode(const std::vector<int64_t>& ids, bool skip_special_tokens = false) const;

  std::optional<int64_t> token_to_id(std::string_view token) const;
  std::optional<std::string> id_to_token(int64_t id) const;
  size_t vocab_size() const;
  // SIZE_MAX when tokenizer_config.json sets no limit (absent, or a huge value such as 1e30).
  size_t model_max_length() const;
  // -1 when the tokenizer has no pad token (pad_token, else eos_token); padding then throws.
  int64_t pad_token_id() const;

 private:
  struct Impl;
  explicit Tokenizer(std::unique_ptr<Impl> impl);
  const Impl& impl() const;  // throws transformers::Error when moved from
  static Tokenizer from_json_labeled(std::string_view tokenizer_json, std::string_view tokenizer_config_json,
                                     const std::string& tokenizer_label, const std::string& config_label);
  std::unique_ptr<Impl> impl_;
};

}  // namespace transformers
