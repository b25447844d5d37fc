// Constructors for the SentencePiece family (Unigram model, NFKC / Prepend / Replace normalizers,
// Metaspace pre-tokenizer and decoder); the factories call them. Implemented in sentencepiece.cpp.
#pragma once

#include <memory>

#include "components.hpp"

namespace transformers::tokenizers {

std::unique_ptr<Model> make_unigram(const Fields& f);
std::unique_ptr<Normalizer> make_nfkc_normalizer();
std::unique_ptr<Normalizer> make_nfkd_normalizer();
std::unique_ptr<Normalizer> make_prepend_normalizer(const Fields& f);
std::unique_ptr<Normalizer> make_precompiled_normalizer(const Fields& f);
std::unique_ptr<Normalizer> make_replace_normalizer(const Fields& f);
std::unique_ptr<PreTokenizer> make_metaspace_pre_tokenizer(const Fields& f);
std::unique_ptr<Decoder> make_metaspace_decoder(const Fields& f);
std::unique_ptr<Decoder> make_byte_fallback_decoder();
std::unique_ptr<Decoder> make_fuse_decoder();
std::unique_ptr<Decoder> make_strip_decoder(const Fields& f);
std::unique_ptr<Decoder> make_replace_decoder(const Fields& f);
std::unique_ptr<Decoder> make_sequence_decoder(const Fields& f);

}  // namespace transformers::tokenizers
