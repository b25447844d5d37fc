// Byte-level BPE family: load errors, merge order, options, GPT-2 on the real vocabulary, concurrent
// use of the word cache. Parity with Transformers.js is checked by golden_test.cpp.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "tokenizer_test_support.hpp"
#include "transformers/error.hpp"
#include "transformers/tokenizer.hpp"

namespace {

using json = nlohmann::json;
using transformers::ModelLoadError;
using transformers::Tokenizer;

using transformers::fixtures::kTokenizersDir;

// A byte-level BPE over "a", "b", "c", "Ġ" with merges "a b", "b c", "ab c", "Ġ a".
json tiny_bpe() {
  return json::parse(R"({
    "version": "1.0",
    "added_tokens": [{"id": 9, "content": "<|end|>", "special": true, "normalized": false, "lstrip": false, "rstrip": false, "single_word": false}],
    "normalizer": {"type": "Sequence", "normalizers": [{"type": "NFC"}]},
    "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
      {"type": "Split", "pattern": {"Regex": "\\s+|[^\\s]+"}, "behavior": "Isolated", "invert": false},
      {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false}]},
    "post_processor": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false, "use_regex": true},
    "decoder": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true},
    "model": {"type": "BPE", "dropout": null, "unk_token": null, "continuing_subword_prefix": "", "end_of_word_suffix": "",
              "fuse_unk": false, "byte_fallback": false,
              "vocab": {"a": 0, "b": 1, "c": 2, "Ġ": 3, "ab": 4, "bc": 5, "abc": 6, "Ġa": 7},
              "merges": ["a b", "b c", "ab c", "Ġ a"]}
  })");
}

using transformers::fixtures::make_tokenizer;

using transformers::fixtures::expect_load_error;

TEST(Bpe, MergesByRankLeftmostFirst) {
  const Tokenizer tok = make_tokenizer(tiny_bpe());
  // "abc": "a b" (rank 0) before "b c" (rank 1), then "ab c".
  EXPECT_EQ(tok.encode("abc").ids, (std::vector<int64_t>{6}));
  EXPECT_EQ(tok.encode("bcab").ids, (std::vector<int64_t>{5, 4}));
  EXPECT_EQ(tok.encode("abc a").ids, (std::vector<int64_t>{6, 3, 0}));
  EXPECT_EQ(tok.decode(tok.encode("abc a").ids), "abc a");
  // No unk_token: characters outside the vocabulary are dropped (Transformers.js).
  EXPECT_EQ(tok.encode("axb").ids, (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(tok.encode("ab<|end|>").ids, (std::vector<int64_t>{4, 9}));
  EXPECT_EQ(tok.decode({4, 9, 4}), "ab<|end|>ab");
  EXPECT_EQ(tok.decode({4, 9, 4}, true), "abab");
}

TEST(Bpe, MergesAsPairsAndOptions) {
  json t = tiny_bpe();
  t["model"]["merges"] = json::parse(R"([["a","b"],["b","c"],["ab","c"],["Ġ","a"]])");
  EXPECT_EQ(make_tokenizer(t).encode("abc").ids, (std::vector<int64_t>{6}));
  t["model"]["unk_token"] = "c";
  t["model"]["fuse_unk"] = true;
  // "x" and "y" are unknown: one fused unknown token.
  EXPECT_EQ(make_tokenizer(t).encode("axyb").ids, (std::vector<int64_t>{0, 2, 1}));
  t["model"]["ignore_merges"] = true;
  t["model"]["vocab"]["bca"] = 8;
  EXPECT_EQ(make_tokenizer(t).encode("bca").ids, (std::vector<int64_t>{8}));
}

TEST(Bpe, ByteFallback) {
  json t = tiny_bpe();
  t["pre_tokenizer"] = json::parse(R"({"type": "Split", "pattern": {"String": " "}, "behavior": "Removed", "invert": false})");
  t["decoder"] = nullptr;
  t["model"]["byte_fallback"] = true;
  t["model"]["unk_token"] = "c";
  t["model"]["vocab"]["<0xC3>"] = 10;
  t["model"]["vocab"]["<0xA9>"] = 11;
  const Tokenizer tok = make_tokenizer(t);
  EXPECT_EQ(tok.encode("a\xC3\xA9").ids, (std::vector<int64_t>{0, 10, 11}));
  EXPECT_EQ(tok.encode("a\xC3\xA8").ids, (std::vector<int64_t>{0, 2}));  // <0xA8> missing: unk
}

TEST(Bpe, Gpt2RealVocabulary) {
  const Tokenizer tok = transformers::fixtures::load_tokenizer("gpt2");
  EXPECT_EQ(tok.encode("Hello world").ids, (std::vector<int64_t>{15496, 995}));
  const auto e = tok.encode("Hello world");
  EXPECT_EQ(e.offsets[1].first, 5u);
  EXPECT_EQ(e.offsets[1].second, 11u);
  EXPECT_EQ(tok.decode(tok.encode("naïve café 🙂 日本").ids), "naïve café 🙂 日本");
  // A lone continuation byte decodes to U+FFFD, as TextDecoder does.
  EXPECT_EQ(tok.decode({126}), "\xEF\xBF\xBD");
}

TEST(Bpe, ConcurrentEncodeSharesTheCache) {
  const Tokenizer tok = transformers::fixtures::load_tokenizer("gpt2");
  const std::string text = "The quick brown fox jumps over the lazy dog, again and again: 12345 times!";
  const auto expected = tok.encode(text).ids;
  std::vector<std::thread> threads;
  std::vector<int> ok(4, 0);
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) ok[static_cast<size_t>(t)] += tok.encode(text + std::to_string(i % 7)).ids.size() >= expected.size();
    });
  for (auto& th : threads) th.join();
  for (int v : ok) EXPECT_EQ(v, 200);
}

TEST(BpeErrors, NameComponentAndField) {
  {
    json t = tiny_bpe();
    t["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] = "([a-";
    expect_load_error([&] { make_tokenizer(t); }, {"pre_tokenizer (Sequence) pretokenizers[0] (Split)", "pattern.Regex", "regular expression"});
  }
  {
    json t = tiny_bpe();
    t["pre_tokenizer"]["pretokenizers"][0]["behavior"] = "Sideways";
    expect_load_error([&] { make_tokenizer(t); }, {"(Split)", "behavior", "Sideways"});
  }
  {
    json t = tiny_bpe();
    t["pre_tokenizer"]["pretokenizers"][1]["type"] = "Frobnicate";
    expect_load_error([&] { make_tokenizer(t); }, {"pretokenizers[1]", "Frobnicate"});
  }
  {
    json t = tiny_bpe();
    t["pre_tokenizer"]["pretokenizers"] = json::parse(R"([{"type": "ByteLevel"}, {"type": "Split", "pattern": {"String": " "}}])");
    expect_load_error([&] { make_tokenizer(t); }, {"pretokenizers[1]", "ByteLevel"});
  }
  {
    json t = tiny_bpe();
    t["model"].erase("merges");
    expect_load_error([&] { make_tokenizer(t); }, {"model (BPE)", "\"merges\"", "missing"});
  }
  {
    json t = tiny_bpe();
    t["model"]["merges"][2] = 7;
    expect_load_error([&] { make_tokenizer(t); }, {"model (BPE)", "merges[2]"});
  }
  {
    json t = tiny_bpe();
    t["model"]["merges"][1] = "bc";
    expect_load_error([&] { make_tokenizer(t); }, {"model (BPE)", "merges[1]"});
  }
  {
    json t = tiny_bpe();
    t["model"]["byte_fallback"] = "yes";
    expect_load_error([&] { make_tokenizer(t); }, {"model (BPE)", "byte_fallback", "boolean"});
  }
  {
    json t = tiny_bpe();
    t["model"]["unk_token"] = "<nope>";
    expect_load_error([&] { make_tokenizer(t); }, {"model (BPE)", "unk_token", "<nope>"});
  }
  {
    json t = tiny_bpe();
    t["normalizer"]["normalizers"][0]["type"] = "NFX";
    expect_load_error([&] { make_tokenizer(t); }, {"normalizer (Sequence) normalizers[0]", "NFX"});
  }
  {
    json t = tiny_bpe();
    t["post_processor"] = json::parse(R"({"type": "RobertaProcessing", "sep": ["</s>"], "cls": ["<s>", 0]})");
    expect_load_error([&] { make_tokenizer(t); }, {"post_processor (RobertaProcessing)", "sep"});
  }
  {
    json t = tiny_bpe();
    t["post_processor"] = json::parse(R"({"type": "Sequence", "processors": [{"type": "Nope"}]})");
    expect_load_error([&] { make_tokenizer(t); }, {"post_processor (Sequence) processors[0]", "Nope"});
  }
  {
    json t = tiny_bpe();
    t["model"] = json::parse(R"({"type": "WordPiece", "unk_token": "a", "vocab": {"a": 0}})");
    expect_load_error([&] { make_tokenizer(t); }, {"pre_tokenizer", "ByteLevel", "BPE"});
  }
}

// Every field of the tiny BPE replaced by values of other types: a tokenizer or a ModelLoadError.
TEST(BpeErrors, MistypedEverything) {
  const auto n = transformers::fixtures::mistype_every_field(tiny_bpe(), [](const json& t) {
    const Tokenizer tok = make_tokenizer(t);
    (void)tok.decode(tok.encode("abc a bc").ids);
  });
  EXPECT_GT(n.refused, 50u);
  EXPECT_GT(n.loaded, 5u);
}

}  // namespace
