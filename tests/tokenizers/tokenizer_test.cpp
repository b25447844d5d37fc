// Unit tests: error reporting, offsets, options and accessors of transformers::Tokenizer.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>
#include <nlohmann/json.hpp>
#include <string>

#include "tokenizer_test_support.hpp"
#include "transformers/error.hpp"
#include "transformers/tokenizer.hpp"

namespace {

using nlohmann::json;
using transformers::EncodeOptions;
using transformers::InvalidInputError;
using transformers::ModelLoadError;
using transformers::Padding;
using transformers::Tokenizer;

using transformers::fixtures::kTokenizersDir;

EncodeOptions opts(Padding padding, bool truncation, std::optional<size_t> max_length = std::nullopt) {
  EncodeOptions o;
  o.padding = padding;
  o.truncation = truncation;
  o.max_length = max_length;
  return o;
}

// A tiny WordPiece tokenizer.json to mutate in the tests.
json tiny() {
  return json::parse(R"({
    "version": "1.0",
    "added_tokens": [
      {"id": 0, "content": "[PAD]", "special": true, "normalized": false, "lstrip": false, "rstrip": false, "single_word": false},
      {"id": 1, "content": "[UNK]", "special": true, "normalized": false, "lstrip": false, "rstrip": false, "single_word": false},
      {"id": 2, "content": "[CLS]", "special": true, "normalized": false, "lstrip": false, "rstrip": false, "single_word": false},
      {"id": 3, "content": "[SEP]", "special": true, "normalized": false, "lstrip": false, "rstrip": false, "single_word": false}
    ],
    "normalizer": {"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true, "strip_accents": null, "lowercase": true},
    "pre_tokenizer": {"type": "BertPreTokenizer"},
    "post_processor": {"type": "BertProcessing", "sep": ["[SEP]", 3], "cls": ["[CLS]", 2]},
    "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": true},
    "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##", "max_input_chars_per_word": 100,
              "vocab": {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "hello": 4, "world": 5, "!": 6, "un": 7, "##aff": 8,
                        "##able": 9, "cafe": 10, ",": 11}}
  })");
}

using transformers::fixtures::make_tokenizer;

// Expects a ModelLoadError whose message contains every fragment.
using transformers::fixtures::expect_load_error;

TEST(TokenizerErrors, NotJson) {
  expect_load_error([] { Tokenizer::from_json("{not json", ""); }, {"tokenizer.json", "not valid JSON"});
  expect_load_error([] { Tokenizer::from_json("[1,2]", ""); }, {"tokenizer.json", "JSON object"});
  expect_load_error([] { Tokenizer::from_json(tiny().dump(), "{oops"); }, {"tokenizer_config.json", "not valid JSON"});
}

TEST(TokenizerErrors, MissingModel) {
  json t = tiny();
  t.erase("model");
  expect_load_error([&] { make_tokenizer(t); }, {"tokenizer.json", "model", "missing"});
}

TEST(TokenizerErrors, UnknownComponentTypesNameTheComponent) {
  const std::pair<const char*, const char*> cases[] = {
      {"normalizer", "normalizer"}, {"pre_tokenizer", "pre_tokenizer"}, {"post_processor", "post_processor"},
      {"decoder", "decoder"}, {"model", "model"}};
  for (const auto& [key, component] : cases) {
    json t = tiny();
    t[key]["type"] = "Frobnicate";
    expect_load_error([&] { make_tokenizer(t); }, {component, "\"type\"", "Frobnicate"});
  }
}

TEST(TokenizerErrors, MissingVocabField) {
  json t = tiny();
  t["model"].erase("vocab");
  expect_load_error([&] { make_tokenizer(t); }, {"model (WordPiece)", "\"vocab\"", "missing"});
}

TEST(TokenizerErrors, MistypedFields) {
  {
    json t = tiny();
    t["normalizer"]["lowercase"] = "yes";
    expect_load_error([&] { make_tokenizer(t); }, {"normalizer (BertNormalizer)", "\"lowercase\"", "boolean", "string"});
  }
  {
    json t = tiny();
    t["model"]["vocab"]["hello"] = "4";
    expect_load_error([&] { make_tokenizer(t); }, {"model (WordPiece)", "\"vocab\"", "hello"});
  }
  {
    json t = tiny();
    t["model"]["max_input_chars_per_word"] = -3;
    expect_load_error([&] { make_tokenizer(t); }, {"model (WordPiece)", "max_input_chars_per_word"});
  }
  {
    json t = tiny();
    t["added_tokens"][1]["content"] = 5;
    expect_load_error([&] { make_tokenizer(t); }, {"added_tokens[1]", "\"content\"", "string"});
  }
  {
    json t = tiny();
    t["post_processor"] = json::parse(R"({"type": "TemplateProcessing", "single": [{"Sequence": {"id": "C", "type_id": 0}}]})");
    expect_load_error([&] { make_tokenizer(t); }, {"post_processor (TemplateProcessing)", "\"id\""});
  }
  {
    json t = tiny();
    t["model"]["unk_token"] = "[NOPE]";
    expect_load_error([&] { make_tokenizer(t); }, {"model (WordPiece)", "unk_token", "[NOPE]"});
  }
  {
    json t = tiny();
    t["model"]["vocab"]["huge"] = 1LL << 40;
    expect_load_error([&] { make_tokenizer(t); }, {"model (WordPiece)", "vocab", "huge"});
  }
  expect_load_error([] { make_tokenizer(tiny(), R"({"model_max_length": "512"})"); },
                    {"tokenizer_config.json", "model_max_length", "number"});
  expect_load_error([] { make_tokenizer(tiny(), R"({"padding_side": 1})"); }, {"tokenizer_config.json", "padding_side"});
}

TEST(TokenizerErrors, MissingFileNamesThePath) {
  const std::string missing = kTokenizersDir + "/does-not-exist/tokenizer.json";
  expect_load_error([&] { Tokenizer::from_files(missing, ""); }, {missing});
  const std::string cfg = kTokenizersDir + "/does-not-exist/tokenizer_config.json";
  expect_load_error([&] { Tokenizer::from_files(kTokenizersDir + "/bert-uncased-5k/tokenizer.json", cfg); }, {cfg});
}

TEST(TokenizerErrors, FromFilesNamesTheFileInFieldErrors) {
  const std::string dir = ::testing::TempDir() + "/tok_bad_field";
  std::filesystem::create_directories(dir);
  json t = tiny();
  t["decoder"]["cleanup"] = 1;
  std::ofstream(dir + "/tokenizer.json") << t.dump();
  expect_load_error([&] { Tokenizer::from_files(dir + "/tokenizer.json", ""); },
                    {dir + "/tokenizer.json", "decoder (WordPiece)", "\"cleanup\""});
}

TEST(TokenizerErrors, InvalidUtf8Input) {
  const Tokenizer tok = make_tokenizer(tiny());
  const std::string bad[] = {"abc\xff", "\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82", "ok \x80"};
  for (const auto& s : bad) {
    EXPECT_THROW(tok.encode(s), InvalidInputError);
    EXPECT_THROW(tok.encode_pair("fine", s), InvalidInputError);
    EXPECT_THROW(tok.encode_batch({"fine", s}), InvalidInputError);
  }
  EXPECT_NO_THROW(tok.encode(std::string("nul\0byte", 8)));
}

TEST(Tokenizer, OffsetsAreBytesIntoTheInput) {
  const Tokenizer tok = make_tokenizer(tiny());
  const std::string text = "Café, unaffable!";
  const auto e = tok.encode(text);
  const std::vector<std::string> tokens = {"[CLS]", "cafe", ",", "un", "##aff", "##able", "!", "[SEP]"};
  ASSERT_EQ(e.tokens, tokens);
  const std::vector<std::pair<size_t, size_t>> offsets = {{0, 0},   {0, 5},   {5, 6},   {7, 9},
                                                          {9, 12},  {12, 16}, {16, 17}, {0, 0}};
  EXPECT_EQ(e.offsets, offsets);
  EXPECT_EQ(text.substr(0, 5), "Café");
}

TEST(Tokenizer, Accessors) {
  const Tokenizer tok = transformers::fixtures::load_tokenizer("bert-uncased-5k");
  EXPECT_EQ(tok.vocab_size(), 5000u);
  EXPECT_EQ(tok.model_max_length(), 128u);
  EXPECT_EQ(tok.pad_token_id(), 0);
  EXPECT_EQ(tok.token_to_id("[MASK]"), 103);
  EXPECT_EQ(tok.token_to_id("no-such-token"), std::nullopt);
  EXPECT_EQ(tok.id_to_token(101), "[CLS]");
  EXPECT_EQ(tok.id_to_token(-1), std::nullopt);
  EXPECT_EQ(tok.id_to_token(1 << 30), std::nullopt);
  // Unknown ids decode as the unknown token (as Transformers.js does).
  EXPECT_EQ(tok.decode({101, 99999, 102}), "[CLS] [UNK] [SEP]");
  EXPECT_EQ(tok.decode({}), "");
}

TEST(Tokenizer, PaddingAndTruncationOptions) {
  Tokenizer tok = make_tokenizer(tiny(), R"({"model_max_length": 6, "pad_token": "[PAD]"})");
  auto e = tok.encode("hello world hello world hello", opts(Padding::none, true));
  EXPECT_EQ(e.ids, (std::vector<int64_t>{2, 4, 5, 4, 5, 4}));  // cut at the end, [SEP] included
  e = tok.encode("hello", opts(Padding::max_length, false));
  EXPECT_EQ(e.ids, (std::vector<int64_t>{2, 4, 3, 0, 0, 0}));
  EXPECT_EQ(e.attention_mask, (std::vector<int64_t>{1, 1, 1, 0, 0, 0}));
  EXPECT_EQ(e.tokens.back(), "[PAD]");
  e = tok.encode("hello", opts(Padding::max_length, false, 4));
  EXPECT_EQ(e.ids, (std::vector<int64_t>{2, 4, 3, 0}));

  // Without truncation a too-long sequence cannot be part of a rectangle.
  EXPECT_THROW(tok.encode_batch({"hello", "hello world hello world hello"}), InvalidInputError);
  const auto b = tok.encode_batch({"hello", "hello world hello world hello"}, opts(Padding::none, true));
  EXPECT_EQ(b.batch, 2u);
  EXPECT_EQ(b.seq_len, 6u);

  // No limit at all: padding to max_length needs an explicit length.
  Tokenizer unlimited = make_tokenizer(tiny(), R"({"model_max_length": 1e30, "pad_token": "[PAD]", "padding_side": "left"})");
  EXPECT_EQ(unlimited.model_max_length(), SIZE_MAX);
  EXPECT_THROW(unlimited.encode("hello", opts(Padding::max_length, false)), InvalidInputError);
  e = unlimited.encode("hello", opts(Padding::max_length, false, 5));
  EXPECT_EQ(e.ids, (std::vector<int64_t>{0, 0, 2, 4, 3}));

  // No pad token: padding is refused.
  Tokenizer nopad = make_tokenizer(tiny(), "{}");
  EXPECT_EQ(nopad.pad_token_id(), -1);
  EXPECT_THROW(nopad.encode_batch({"hello", "hello world"}), InvalidInputError);
  EXPECT_NO_THROW(nopad.encode_batch({"hello", "world"}));
}

TEST(Tokenizer, PairAndEmptyPair) {
  const Tokenizer tok = make_tokenizer(tiny());
  const auto p = tok.encode_pair("hello", "world");
  EXPECT_EQ(p.ids, (std::vector<int64_t>{2, 4, 3, 5, 3}));
  EXPECT_EQ(p.token_type_ids, (std::vector<int64_t>{0, 0, 0, 1, 1}));
  // An empty second text is no pair at all (`text_pair || null` in Transformers.js).
  EXPECT_EQ(tok.encode_pair("hello", "").ids, tok.encode("hello").ids);
  EncodeOptions plain;
  plain.add_special_tokens = false;
  EXPECT_EQ(tok.encode("hello", plain).ids, (std::vector<int64_t>{4}));
}

TEST(Tokenizer, ComponentsMayBeNull) {
  json t = tiny();
  t["normalizer"] = nullptr;
  t["pre_tokenizer"] = nullptr;
  t["post_processor"] = nullptr;
  t["decoder"] = nullptr;
  const Tokenizer tok = make_tokenizer(t);
  const auto e = tok.encode("hello");
  EXPECT_EQ(e.ids, (std::vector<int64_t>{4}));
  EXPECT_EQ(tok.decode({4, 5}), "hello world");
}

TEST(Tokenizer, MovedFromAndConcurrentUse) {
  Tokenizer a = make_tokenizer(tiny());
  Tokenizer b = std::move(a);
  EXPECT_EQ(b.encode("hello world").ids.size(), 4u);
  EXPECT_THROW(a.encode("hello"), transformers::Error);  // NOLINT(bugprone-use-after-move)
  // Concurrent encodes share the immutable tokenizer and use per-thread scratch space.
  std::vector<std::thread> threads;
  std::atomic<int> mismatches{0};
  const auto expected = b.encode("hello world, unaffable cafe!").ids;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 2000; ++i)
        if (b.encode("hello world, unaffable cafe!").ids != expected) ++mismatches;
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches.load(), 0);
}

}  // namespace

namespace {

// Random byte strings: either a result or InvalidInputError, never anything else.
TEST(TokenizerRobustness, RandomBytes) {
  const Tokenizer tok = transformers::fixtures::load_tokenizer("bert-added-tokens");
  uint64_t state = 0x9E3779B97F4A7C15ull;
  auto next = [&] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  const std::string pieces[] = {"[MASK]", "<special1>", " ", "Hello World", "é", "\xcc\x81", "Σ", "İ", "\t", "[NEW]"};
  size_t ok = 0, rejected = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string s;
    const size_t n = next() % 40;
    for (size_t k = 0; k < n; ++k) {
      if (next() % 3 == 0)
        s += pieces[next() % std::size(pieces)];
      else
        s.push_back(static_cast<char>(next() % (i % 2 ? 256 : 128)));
    }
    try {
      const auto e = tok.encode(s);
      for (const auto& [b, end] : e.offsets) {
        ASSERT_LE(b, end);
        ASSERT_LE(end, s.size());
      }
      (void)tok.decode(e.ids, i % 2 == 0);
      ++ok;
    } catch (const InvalidInputError&) {
      ++rejected;
    }
  }
  EXPECT_GT(ok, 1000u);
  EXPECT_GT(rejected, 100u);
}

// Every field of the tiny tokenizer replaced by values of other types: a tokenizer or a
// ModelLoadError, never another exception or a crash.
TEST(TokenizerRobustness, MistypedEverything) {
  const auto n = transformers::fixtures::mistype_every_field(tiny(), [](const json& t) {
    const Tokenizer tok = make_tokenizer(t);
    (void)tok.encode("Hello, unaffable world!");
  });
  EXPECT_GT(n.refused, 50u);
  EXPECT_GT(n.loaded, 5u);
}

}  // namespace
