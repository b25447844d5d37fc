// SentencePiece family: Unigram load errors that name the component and field, ties, unknown
// characters, Metaspace. Parity with Transformers.js is checked by golden_test.cpp (use-lite,
// unigram-t5).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>
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

json tiny_unigram() {
  return json::parse(R"({
    "version": "1.0", "added_tokens": [],
    "normalizer": {"type": "Sequence", "normalizers": [{"type": "NFKC"}, {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"}, {"type": "Prepend", "prepend": "\u2581"}]},
    "pre_tokenizer": null, "post_processor": null,
    "decoder": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": false},
    "model": {"type": "Unigram", "unk_id": 0, "byte_fallback": false,
              "vocab": [["<unk>", 0], ["\u2581", -2], ["\u2581he", -3], ["llo", -3], ["\u2581hel", -3], ["lo", -3],
                        ["h", -5], ["e", -5], ["l", -5], ["o", -5]]}
  })");
}

using transformers::fixtures::make_tokenizer;

using transformers::fixtures::expect_load_error;

TEST(Unigram, TiesKeepTheFirstPredecessor) {
  const Tokenizer tok = make_tokenizer(tiny_unigram());
  const auto e = tok.encode("hello");
  // "▁he"+"llo" and "▁hel"+"lo" both score -6: the node that starts first wins.
  EXPECT_EQ(e.tokens, (std::vector<std::string>{"\u2581he", "llo"}));
  EXPECT_EQ(e.ids, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(tok.decode(e.ids), "hello");
}

TEST(Unigram, UnknownCharactersAreFusedAndKeepTheirText) {
  const Tokenizer tok = make_tokenizer(tiny_unigram());
  const auto e = tok.encode("hXYZ");
  EXPECT_EQ(e.tokens, (std::vector<std::string>{"\u2581", "h", "XYZ"}));
  EXPECT_EQ(e.ids, (std::vector<int64_t>{1, 6, 0}));
}

// Random code points (every plane, controls, spaces, U+2581, U+FF5E) through the USE-lite and
// unigram-first fixtures on two threads: ids stay in range and encoding is deterministic.
TEST(Unigram, RandomTextOnTwoThreads) {
  const std::string dir = std::string(TRANSFORMERS_FIXTURES_DIR) + "/tokenizers/";
  for (const char* name : {"use-lite", "unigram-first"}) {
    const Tokenizer tok = Tokenizer::from_files(dir + name + "/tokenizer.json", dir + name + "/tokenizer_config.json");
    const std::vector<std::string> texts = transformers::fixtures::random_texts(
        7, 200, 40, {U' ', U'\t', U'\n', 0xA0, 0x2581, 0xFF5E, 0xFFFD, 0x301, 0x1F600, 0x200D, U'a', U'X'}, 3);
    std::vector<std::vector<int64_t>> first(texts.size()), second(texts.size());
    auto run = [&](std::vector<std::vector<int64_t>>& into) {
      for (size_t i = 0; i < texts.size(); ++i) {
        const auto e = tok.encode(texts[i]);
        into[i] = e.ids;
        ASSERT_EQ(e.tokens.size(), e.ids.size());
        if (!e.ids.empty()) (void)tok.decode(e.ids);
      }
    };
    std::thread a(run, std::ref(first));
    run(second);
    a.join();
    EXPECT_EQ(first, second) << name;
    for (const auto& ids : first)
      for (int64_t id : ids) EXPECT_TRUE(id >= 0 && id < 10000) << name;
  }
}

TEST(UnigramErrors, NameComponentAndField) {
  {
    json t = tiny_unigram();
    t["model"].erase("unk_id");
    expect_load_error([&] { make_tokenizer(t); }, {"model (Unigram)", "\"unk_id\"", "missing"});
  }
  {
    json t = tiny_unigram();
    t["model"]["unk_id"] = 99;
    expect_load_error([&] { make_tokenizer(t); }, {"model (Unigram)", "\"unk_id\"", "outside"});
  }
  {
    json t = tiny_unigram();
    t["model"]["unk_id"] = "0";
    expect_load_error([&] { make_tokenizer(t); }, {"model (Unigram)", "\"unk_id\"", "integer"});
  }
  {
    json t = tiny_unigram();
    t["model"]["vocab"][3] = json::array({"llo"});
    expect_load_error([&] { make_tokenizer(t); }, {"model (Unigram)", "\"vocab\"", "entry 3"});
  }
  {
    json t = tiny_unigram();
    t["model"]["vocab"][2] = json::array({"x", "high"});
    expect_load_error([&] { make_tokenizer(t); }, {"model (Unigram)", "\"vocab\"", "entry 2"});
  }
  {
    json t = tiny_unigram();
    t["model"]["vocab"] = json::array();
    expect_load_error([&] { make_tokenizer(t); }, {"model (Unigram)", "\"vocab\"", "empty"});
  }
  {
    json t = tiny_unigram();
    t["model"]["byte_fallback"] = 1;
    expect_load_error([&] { make_tokenizer(t); }, {"model (Unigram)", "byte_fallback", "boolean"});
  }
  {
    json t = tiny_unigram();
    t["normalizer"] = json::parse(R"({"type": "Precompiled", "precompiled_charsmap": 7})");
    expect_load_error([&] { make_tokenizer(t); }, {"normalizer (Precompiled)", "precompiled_charsmap", "string"});
  }
  {
    json t = tiny_unigram();
    t["normalizer"]["normalizers"][1]["pattern"] = json::parse(R"({"Regex": "("})");
    expect_load_error([&] { make_tokenizer(t); }, {"normalizers[1] (Replace)", "pattern.Regex"});
  }
  {
    json t = tiny_unigram();
    t["pre_tokenizer"] = json::parse(R"({"type": "Metaspace", "prepend_scheme": "sometimes"})");
    expect_load_error([&] { make_tokenizer(t); }, {"pre_tokenizer (Metaspace)", "prepend_scheme", "sometimes"});
  }
  {
    json t = tiny_unigram();
    t["normalizer"]["normalizers"][2].erase("prepend");
    expect_load_error([&] { make_tokenizer(t); }, {"normalizers[2] (Prepend)", "\"prepend\"", "missing"});
  }
}

}  // namespace
