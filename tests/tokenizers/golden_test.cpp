// Parity with Transformers.js 4.3.1: compares every golden case written by
// tools/golden/tokenizer_goldens.mjs (see docs/tokenizers.md to regenerate).
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "tokenizer_test_support.hpp"
#include "transformers/error.hpp"
#include "transformers/tokenizer.hpp"

namespace {

using nlohmann::json;
using transformers::EncodeOptions;
using transformers::Padding;
using transformers::Tokenizer;

using transformers::fixtures::kTokenizersDir;
using transformers::fixtures::corpus;
using transformers::fixtures::ints_of;
using transformers::fixtures::load_json;

EncodeOptions options_of(const json& o) {
  EncodeOptions opt;
  opt.add_special_tokens = o.value("add_special_tokens", true);
  if (auto p = o.find("padding"); p != o.end()) {
    if (p->is_string() && *p == "max_length")
      opt.padding = Padding::max_length;
    else if (p->is_boolean() && p->get<bool>())
      opt.padding = Padding::longest;
  }
  opt.truncation = o.value("truncation", false);
  if (auto m = o.find("max_length"); m != o.end() && !m->is_null()) opt.max_length = m->get<size_t>();
  return opt;
}

std::string describe(const json& c) {
  std::string d = c.value("kind", "?") + " ";
  if (c.contains("text")) d += c["text"].get<std::string>();
  if (c.contains("text_pair")) d += " + " + c["text_pair"].get<std::string>();
  if (c.contains("texts")) d += c["texts"].dump();
  return d + " " + (c.contains("options") ? c["options"].dump() : std::string("{}"));  // c is const: no operator[] on a missing key
}

void check_single(const Tokenizer& tok, const json& c) {
  const std::string& text = corpus()["texts"][c["text"].get<std::string>()].get_ref<const std::string&>();
  const EncodeOptions opt = options_of(c["options"]);
  auto run = [&] {
    return c["kind"] == "pair"
               ? tok.encode_pair(text, corpus()["texts"][c["text_pair"].get<std::string>()].get<std::string>(), opt)
               : tok.encode(text, opt);
  };
  if (c.contains("error")) {
    EXPECT_THROW(run(), transformers::InvalidInputError) << c["error"];
    return;
  }
  const transformers::Encoding e = run();
  const auto ids = ints_of(c["ids"]);
  ASSERT_EQ(e.ids, ids);
  ASSERT_EQ(e.ids.size(), e.tokens.size());
  ASSERT_EQ(e.ids.size(), e.offsets.size());
  if (!c.value("compact", false)) {
    EXPECT_EQ(e.attention_mask, ints_of(c["attention_mask"]));
    if (c["token_type_ids"].is_null()) {
      // Transformers.js returns no token_type_ids for this tokenizer class: we return the
      // post-processor's (recorded for pairs) or zeros.
      if (c.contains("post_processor_type_ids"))
        EXPECT_EQ(e.token_type_ids, ints_of(c["post_processor_type_ids"]));
      else
        EXPECT_EQ(e.token_type_ids, std::vector<int64_t>(ids.size(), 0));
    } else {
      EXPECT_EQ(e.token_type_ids, ints_of(c["token_type_ids"]));
    }
    if (c.contains("tokens") && !c["tokens"].is_null()) {
      EXPECT_EQ(e.tokens, c["tokens"].get<std::vector<std::string>>());
    }
  }
  // Transformers.js refuses to decode an empty list; we return "".
  EXPECT_EQ(tok.decode(ids), c["decode"].is_null() ? "" : c["decode"].get<std::string>());
  EXPECT_EQ(tok.decode(ids, true), c["decode_skip"].is_null() ? "" : c["decode_skip"].get<std::string>());
}

void check_batch(const Tokenizer& tok, const json& c) {
  std::vector<std::string> texts;
  for (const auto& name : c["texts"]) texts.push_back(corpus()["texts"][name.get<std::string>()].get<std::string>());
  const EncodeOptions opt = options_of(c["options"]);
  if (c.contains("error")) {
    EXPECT_THROW(tok.encode_batch(texts, opt), transformers::InvalidInputError) << c["error"];
    return;
  }
  const auto b = tok.encode_batch(texts, opt);
  const auto rows = c["input_ids"].get<std::vector<std::vector<int64_t>>>();
  ASSERT_EQ(b.batch, rows.size());
  ASSERT_EQ(b.seq_len, rows.front().size());
  auto flat = [](const std::vector<std::vector<int64_t>>& r) {
    std::vector<int64_t> f;
    for (const auto& row : r) f.insert(f.end(), row.begin(), row.end());
    return f;
  };
  EXPECT_EQ(b.input_ids, flat(rows));
  EXPECT_EQ(b.attention_mask, flat(c["attention_mask"].get<std::vector<std::vector<int64_t>>>()));
  if (c["token_type_ids"].is_null()) {
    EXPECT_EQ(b.token_type_ids, std::vector<int64_t>(b.input_ids.size(), 0));
  } else {
    EXPECT_EQ(b.token_type_ids, flat(c["token_type_ids"].get<std::vector<std::vector<int64_t>>>()));
  }
}

void check_decode(const Tokenizer& tok, const json& c) {
  const auto ids = ints_of(c["ids"]);
  EXPECT_EQ(tok.decode(ids), c["decode"].get<std::string>());
  EXPECT_EQ(tok.decode(ids, true), c["decode_skip"].get<std::string>());
}

class Golden : public ::testing::TestWithParam<std::string> {};

TEST_P(Golden, MatchesTransformersJs) {
  const std::string name = GetParam();
  const json golden = load_json(kTokenizersDir + "/golden/" + name + ".json");
  const Tokenizer tok = transformers::fixtures::load_tokenizer(name);

  const json& meta = golden["meta"];
  if (meta["model_max_length"].is_null() || meta["model_max_length"].get<double>() > 1e15) {
    EXPECT_EQ(tok.model_max_length(), SIZE_MAX);
  } else {
    EXPECT_EQ(tok.model_max_length(), meta["model_max_length"].get<size_t>());
  }
  EXPECT_EQ(tok.pad_token_id(), meta["pad_token_id"].is_null() ? -1 : meta["pad_token_id"].get<int64_t>());

  size_t checked = 0;
  for (const json& c : golden["cases"]) {
    SCOPED_TRACE(describe(c));
    if (c["kind"] == "batch")
      check_batch(tok, c);
    else if (c["kind"] == "decode")
      check_decode(tok, c);
    else
      check_single(tok, c);
    ++checked;
  }
  EXPECT_GT(checked, 100u);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, Golden,
                         ::testing::Values("bert-base-uncased", "bert-uncased-5k", "bert-cased-5k", "bert-added-tokens",
                                           "bert-raw-5k", "gpt2", "qwen3-reduced", "llama3-reduced", "roberta-bpe",
                                           "bpe-split", "bpe-fallback", "bpe-unk", "use-lite", "unigram-t5", "unigram-first", "unigram-seq", "unigram-norms",
                                           "wordlevel-ws", "bpe-punct-digits", "ctc-chars", "marian-unigram"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& ch : n)
                             if (ch == '-') ch = '_';
                           return n;
                         });

}  // namespace
