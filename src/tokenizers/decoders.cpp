// Decoders. Supported: WordPiece, BPEDecoder, CTC; ByteLevel (byte_level.cpp); Metaspace, ByteFallback, Fuse,
// Strip, Replace, Sequence (sentencepiece.cpp).
#include <string>

#include "bpe_family.hpp"
#include "components.hpp"
#include "sentencepiece_family.hpp"

namespace transformers::tokenizers {
namespace {

class WordPieceDecoder final : public Decoder {
 public:
  explicit WordPieceDecoder(const Fields& f)
      : prefix_(f.string_or("prefix", "")), cleanup_(f.boolean("cleanup", false)) {}

  void decode_chain(std::vector<std::string>& tokens) const override {
    for (size_t i = 0; i < tokens.size(); ++i) {
      std::string& t = tokens[i];
      if (i != 0) {
        if (!prefix_.empty() && t.compare(0, prefix_.size(), prefix_) == 0)
          t.erase(0, prefix_.size());
        else
          t.insert(t.begin(), ' ');
      }
      if (cleanup_) t = clean_up_tokenization(t);  // per token, as Transformers.js does
    }
  }

 private:
  std::string prefix_;
  bool cleanup_;
};

// String.prototype.replaceAll with a string pattern. An empty pattern matches before every
// character and at the end, as in JavaScript (which counts UTF-16 units: between the two halves of
// an astral character too, where we insert nothing).
std::string replace_all(std::string_view text, std::string_view from, std::string_view to) {
  std::string out;
  if (from.empty()) {
    for (char32_t c : unicode::decode_utf8(text)) {
      out += to;
      unicode::append_utf8(out, c);
    }
    out += to;
    return out;
  }
  size_t last = 0;
  for (size_t pos = text.find(from); pos != std::string_view::npos; pos = text.find(from, last)) {
    out.append(text, last, pos - last);
    out += to;
    last = pos + from.size();
  }
  out.append(text, last, std::string_view::npos);
  return out;
}

// Transformers.js' BPEDecoder: the suffix becomes a space, except in the last token, where it goes.
class BpeDecoder final : public Decoder {
 public:
  explicit BpeDecoder(const Fields& f) : suffix_(f.string_or("suffix", "")) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (size_t i = 0; i < tokens.size(); ++i) tokens[i] = replace_all(tokens[i], suffix_, i + 1 == tokens.size() ? "" : " ");
  }

 private:
  std::string suffix_;
};

// Transformers.js' CTC decoder: repeated tokens collapse, pad tokens go, the rest are joined; with
// `cleanup` (off when absent, as in Transformers.js), clean_up_tokenization, the word delimiter
// becomes a space, and the text is trimmed. (Python cleans each token and does not trim.)
class CtcDecoder final : public Decoder {
 public:
  explicit CtcDecoder(const Fields& f)
      : pad_(f.string_or("pad_token", "")), delimiter_(f.string_or("word_delimiter_token", "")),
        cleanup_(f.boolean("cleanup", false)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::string text;
    for (size_t i = 0; i < tokens.size(); ++i) {
      if (i > 0 && tokens[i] == tokens[i - 1]) continue;
      if (tokens[i] != pad_) text += tokens[i];
    }
    if (cleanup_) {
      text = replace_all(clean_up_tokenization(text), delimiter_, " ");
      const std::u32string u = unicode::decode_utf8(text);
      size_t b = 0, e = u.size();
      while (b < e && unicode::is_js_whitespace(u[b])) ++b;
      while (e > b && unicode::is_js_whitespace(u[e - 1])) --e;
      text = unicode::to_utf8(std::u32string_view(u).substr(b, e - b));
    }
    tokens.assign(1, std::move(text));
  }

 private:
  std::string pad_;
  std::string delimiter_;
  bool cleanup_;
};

}  // namespace

std::unique_ptr<Decoder> create_decoder(const json& config, const JsonSource& source, std::string_view component) {
  if (config.is_null()) return nullptr;
  Fields f(config, source, std::string(component));
  const std::string type = f.string("type");
  Fields typed(config, source, std::string(component) + " (" + type + ")");
  if (type == "WordPiece") return std::make_unique<WordPieceDecoder>(typed);
  if (type == "BPEDecoder") return std::make_unique<BpeDecoder>(typed);
  if (type == "CTC") return std::make_unique<CtcDecoder>(typed);
  if (type == "ByteLevel") return make_byte_level_decoder(typed);
  if (type == "Metaspace") return make_metaspace_decoder(typed);
  if (type == "ByteFallback") return make_byte_fallback_decoder();
  if (type == "Fuse") return make_fuse_decoder();
  if (type == "Strip") return make_strip_decoder(typed);
  if (type == "Replace") return make_replace_decoder(typed);
  if (type == "Sequence") return make_sequence_decoder(typed);
  f.fail("type", "names an unsupported decoder \"" + type + "\"");
}

}  // namespace transformers::tokenizers
