// Character-class pre-tokenizers (splitters.cpp): Whitespace, Punctuation, Digits,
// CharDelimiterSplit, UnicodeScripts.
#pragma once

#include <memory>
#include <string>

#include "components.hpp"

namespace transformers::tokenizers {

// nullptr when `type` is none of the above.
std::unique_ptr<PreTokenizer> make_splitter_pre_tokenizer(const std::string& type, const Fields& f);
// Checks a split `behavior` field (Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous).
void check_behavior(const Fields& f);

}  // namespace transformers::tokenizers
