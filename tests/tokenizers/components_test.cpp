// Load errors of the WordLevel model, the character-class pre-tokenizers and the BPEDecoder / CTC
// decoders; truncation strategy errors; parallel batch encoding against the sequential one.
// (Outputs are checked against Transformers.js and Python tokenizers in golden_test.cpp and
// python_ref_test.cpp.)
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "tokenizer_test_support.hpp"
#include "transformers/error.hpp"
#include "transformers/tokenizer.hpp"

namespace {

using nlohmann::json;
using transformers::EncodeOptions;
using transformers::InvalidInputError;
using transformers::Padding;
using transformers::Tokenizer;
using transformers::TruncationStrategy;
using transformers::fixtures::expect_load_error;
using transformers::fixtures::make_tokenizer;
namespace fx = transformers::fixtures;

// A WordLevel tokenizer behind every new pre-tokenizer, with both new decoders in a Sequence.
json tiny_word_level() {
  return json::parse(R"({
    "version": "1.0", "added_tokens": [{"id": 0, "content": "[UNK]", "special": true}],
    "normalizer": null,
    "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
      {"type": "Whitespace"}, {"type": "Punctuation", "behavior": "Isolated"}, {"type": "Digits", "individual_digits": true},
      {"type": "CharDelimiterSplit", "delimiter": "-"}, {"type": "UnicodeScripts"}]},
    "post_processor": null,
    "decoder": {"type": "Sequence", "decoders": [{"type": "BPEDecoder", "suffix": "</w>"},
      {"type": "CTC", "pad_token": "<pad>", "word_delimiter_token": "|", "cleanup": true}]},
    "model": {"type": "WordLevel", "vocab": {"[UNK]": 0, "a": 1, "b": 2, "1": 3, "<pad>": 4, "|": 5}, "unk_token": "[UNK]"}
  })");
}

TEST(Components, WordLevelBehindEveryPreTokenizer) {
  const Tokenizer tok = make_tokenizer(tiny_word_level());
  const auto e = tok.encode("a-b 11 c");
  EXPECT_EQ(e.ids, (std::vector<int64_t>{1, 2, 3, 3, 0}));
  EXPECT_EQ(e.tokens.back(), "c");  // an unknown word keeps its text, as Transformers.js' Legacy model
  EXPECT_EQ(e.offsets.back(), (std::pair<size_t, size_t>{7, 8}));
  EXPECT_EQ(tok.decode({1, 1, 4, 1, 5, 2}), "aa b");
}

TEST(ComponentErrors, NameComponentAndField) {
  const std::pair<std::string, json> cases[] = {
      {"/pre_tokenizer/pretokenizers/2/individual_digits", "yes"},
      {"/pre_tokenizer/pretokenizers/3/delimiter", "ab"},
      {"/pre_tokenizer/pretokenizers/1/behavior", "Sideways"},
      {"/decoder/decoders/0/suffix", 5},
      {"/decoder/decoders/1/cleanup", "yes"},
      {"/decoder/decoders/1/pad_token", json::array()},
      {"/model/vocab", json::array({1})},
  };
  const char* const expected[][2] = {
      {"pretokenizers[2] (Digits)", "individual_digits"}, {"pretokenizers[3] (CharDelimiterSplit)", "delimiter"},
      {"pretokenizers[1] (Punctuation)", "behavior"},     {"decoders[0] (BPEDecoder)", "suffix"},
      {"decoders[1] (CTC)", "cleanup"},                    {"decoders[1] (CTC)", "pad_token"},
      {"model (WordLevel)", "vocab"},
  };
  for (size_t i = 0; i < std::size(cases); ++i) {
    json t = tiny_word_level();
    t[json::json_pointer(cases[i].first)] = cases[i].second;
    SCOPED_TRACE(cases[i].first);
    expect_load_error([&] { make_tokenizer(t); }, {expected[i][0], expected[i][1]});
  }
  json t = tiny_word_level();
  t["model"].erase("vocab");
  expect_load_error([&] { make_tokenizer(t); }, {"model (WordLevel)", "\"vocab\"", "missing"});
  t = tiny_word_level();
  t["pre_tokenizer"]["pretokenizers"][3].erase("delimiter");
  expect_load_error([&] { make_tokenizer(t); }, {"(CharDelimiterSplit)", "\"delimiter\"", "missing"});
}

TEST(ComponentErrors, MistypedEverything) {
  const auto n = fx::mistype_every_field(tiny_word_level(), [](const json& t) {
    const Tokenizer tok = make_tokenizer(t);
    try {
      (void)tok.decode(tok.encode("a-b 12 c").ids);
    } catch (const InvalidInputError&) {  // e.g. no unknown token left for "c"
    }
  });
  EXPECT_GT(n.refused, 30u);
  EXPECT_GT(n.loaded, 5u);
}

TEST(Components, WordLevelWithoutUnknownTokenRefusesUnknownWords) {
  json t = tiny_word_level();
  t["model"].erase("unk_token");
  t["model"]["vocab"].erase("[UNK]");
  t["added_tokens"] = json::array();
  const Tokenizer tok = make_tokenizer(t);
  EXPECT_EQ(tok.encode("a b").ids, (std::vector<int64_t>{1, 2}));
  const std::string msg = fx::message_of<InvalidInputError>([&] { tok.encode("a zz"); });
  EXPECT_NE(msg.find("\"zz\""), std::string::npos) << msg;
  EXPECT_NE(msg.find("unk_token"), std::string::npos) << msg;
}

TEST(Truncation, ErrorsNameTheProblem) {
  const Tokenizer tok = fx::load_tokenizer("bert-uncased-5k");
  EncodeOptions o;
  o.truncation = true;
  o.truncation_strategy = TruncationStrategy::longest_first;
  o.max_length = 6;
  o.stride = 4;  // 6 - [CLS] - [SEP] = 4 kept: a stride of 4 never moves on
  EXPECT_NE(fx::message_of<InvalidInputError>([&] { tok.encode("one two three four five six seven", o); }).find("stride"),
            std::string::npos);
  o.stride = 0;
  o.max_length = 1;
  EXPECT_NE(fx::message_of<InvalidInputError>([&] { tok.encode("one two", o); }).find("special tokens"),
            std::string::npos);
  o.max_length = 6;
  o.truncation_strategy = TruncationStrategy::only_second;
  EXPECT_NE(fx::message_of<InvalidInputError>([&] { tok.encode("one two three four five", o); }).find("pair"),
            std::string::npos);
}

TEST(Truncation, OverflowingPartsArePaddedLikeTheMainOne) {
  const Tokenizer tok = fx::load_tokenizer("bert-uncased-5k");
  EncodeOptions o;
  o.truncation = true;
  o.truncation_strategy = TruncationStrategy::only_first;
  o.max_length = 8;
  o.stride = 1;
  o.padding = Padding::max_length;
  const auto e = tok.encode_pair("one two three four five six seven eight nine ten eleven", "yes", o);
  ASSERT_FALSE(e.overflowing.empty());
  for (const auto& over : e.overflowing) {
    EXPECT_EQ(over.ids.size(), 8u);
    EXPECT_EQ(over.ids.front(), e.ids.front());  // [CLS] again
  }
  EXPECT_EQ(e.overflowing.back().attention_mask.back(), 0);  // the last part is short: padded
}

TEST(Batch, ThreadsGiveTheSameResultAsOne) {
  const Tokenizer tok = fx::load_tokenizer("gpt2");
  std::vector<std::string> texts;
  for (const auto& [name, text] : fx::corpus()["texts"].items()) texts.push_back(text.get<std::string>());
  EncodeOptions one;
  one.num_threads = 1;
  EncodeOptions two;
  two.num_threads = 2;
  const auto a = tok.encode_many(texts, one);
  const auto b = tok.encode_many(texts, two);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].ids, b[i].ids) << i;
    EXPECT_EQ(a[i].offsets, b[i].offsets) << i;
  }
  one.truncation = two.truncation = true;
  one.max_length = two.max_length = 64;
  EXPECT_EQ(tok.encode_batch(texts, one).input_ids, tok.encode_batch(texts, two).input_ids);
}

// Random text (every plane, spaces, punctuation, digits, delimiters) through the new fixtures:
// one thread and two agree, offsets stay inside the text, decode works; Python-style truncation
// keeps every part within max_length.
TEST(Components, RandomTextThroughTheNewFixtures) {
  const std::vector<std::string> texts =
      fx::random_texts(11, 150, 30,
                       {U' ', U'-', U'|', U'.', U',', U'!', U'1', U'7', U'\t', 0xA0, 0x3042, 0x30FC, 0x4E2D, 0x0627,
                        0x301, 0x1F600, U'a', U'Z', U'_'},
                       2);
  for (const char* name : {"wordlevel-ws", "bpe-punct-digits", "ctc-chars", "scripts-delim", "marian-unigram"}) {
    SCOPED_TRACE(name);
    const Tokenizer tok = fx::load_tokenizer(name);
    EncodeOptions one, two;
    one.num_threads = 1;
    two.num_threads = 2;
    const auto a = tok.encode_many(texts, one);
    const auto b = tok.encode_many(texts, two);
    for (size_t i = 0; i < texts.size(); ++i) {
      ASSERT_EQ(a[i].ids, b[i].ids);
      for (const auto& [begin, end] : a[i].offsets) {
        EXPECT_LE(begin, end);
        EXPECT_LE(end, texts[i].size());
      }
      if (!a[i].ids.empty()) (void)tok.decode(a[i].ids, i % 2 == 0);
    }
    EncodeOptions t;
    t.truncation = true;
    t.truncation_strategy = TruncationStrategy::longest_first;
    t.max_length = 9;
    t.stride = 1;
    for (size_t i = 0; i + 1 < texts.size(); i += 2) {
      const auto e = tok.encode_pair(texts[i], texts[i + 1], t);
      EXPECT_LE(e.ids.size(), 9u);
      for (const auto& o : e.overflowing) EXPECT_LE(o.ids.size(), 9u);
    }
  }
}

}  // namespace
