// Decoders. Supported: WordPiece, ByteLevel (byte_level.cpp), Metaspace, ByteFallback, Fuse, Strip, Replace, Sequence
// (sentencepiece.cpp).
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

}  // namespace

std::unique_ptr<Decoder> create_decoder(const json& config, const JsonSource& source, std::string_view component) {
  if (config.is_null()) return nullptr;
  Fields f(config, source, std::string(component));
  const std::string type = f.string("type");
  Fields typed(config, source, std::string(component) + " (" + type + ")");
  if (type == "WordPiece") return std::make_unique<WordPieceDecoder>(typed);
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
