// Constructors for the byte-level BPE family (BPE model, ByteLevel and Split pre-tokenizers,
// ByteLevel decoder); the factories in models.cpp, pre_tokenizers.cpp and decoders.cpp call them.
#pragma once

#include <array>
#include <memory>
#include <string>

#include "components.hpp"

namespace transformers::tokenizers {

// GPT-2's bytes_to_unicode: the code point standing for each byte, and its UTF-8 form.
struct ByteLevelAlphabet {
  std::array<char32_t, 256> symbol{};
  std::array<std::string, 256> utf8;
  // Inverse: byte for a symbol code point (< 0x144), or -1.
  std::array<int, 0x144> byte{};
  static const ByteLevelAlphabet& get();
};

std::unique_ptr<PreTokenizer> make_byte_level_pre_tokenizer(const Fields& f);
std::unique_ptr<PreTokenizer> make_split_pre_tokenizer(const Fields& f);
std::unique_ptr<Decoder> make_byte_level_decoder(const Fields& f);
std::unique_ptr<Model> make_bpe(const Fields& f);
// Appends bytes decoded as TextDecoder (WHATWG replacement of invalid sequences) does.
void utf8_decode_lossy(const std::string& bytes, std::string& out);

}  // namespace transformers::tokenizers
