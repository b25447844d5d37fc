// Parity with Python tokenizers (the Rust library, tokenizers 0.23.2) where Transformers.js 4.3.1
// has nothing to compare with: CharDelimiterSplit + UnicodeScripts (ids, type ids, offsets,
// decodes) and the truncation strategies with stride, side and overflowing parts. Goldens from
// tools/tokenizer_ref/python_goldens.mjs.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tokenizer_test_support.hpp"
#include "transformers/error.hpp"
#include "transformers/tokenizer.hpp"

namespace {

using nlohmann::json;
using transformers::EncodeOptions;
using transformers::Encoding;
using transformers::Tokenizer;
using transformers::TruncationSide;
using transformers::TruncationStrategy;
namespace fx = transformers::fixtures;

EncodeOptions python_ref_options(const json& o) {
  EncodeOptions opt;
  opt.add_special_tokens = o.value("add_special_tokens", true);
  opt.truncation = o.value("truncation", false);
  if (o.contains("max_length")) opt.max_length = o["max_length"].get<size_t>();
  opt.stride = o.value("stride", size_t{0});
  const std::string strategy = o.value("truncation_strategy", "");
  if (strategy == "longest_first") opt.truncation_strategy = TruncationStrategy::longest_first;
  if (strategy == "only_first") opt.truncation_strategy = TruncationStrategy::only_first;
  if (strategy == "only_second") opt.truncation_strategy = TruncationStrategy::only_second;
  if (o.contains("truncation_side"))
    opt.truncation_side = o["truncation_side"] == "left" ? TruncationSide::left : TruncationSide::right;
  return opt;
}

Encoding run(const Tokenizer& tok, const json& c) {
  const EncodeOptions opt = python_ref_options(c["options"]);
  const std::string& text = fx::corpus_text(c["text"]);
  return c["kind"] == "pair" ? tok.encode_pair(text, fx::corpus_text(c["text_pair"]), opt) : tok.encode(text, opt);
}

std::vector<std::pair<size_t, size_t>> offsets(const json& j) {
  std::vector<std::pair<size_t, size_t>> out;
  for (const auto& o : j) out.emplace_back(o[0].get<size_t>(), o[1].get<size_t>());
  return out;
}

std::string python_ref_case(const json& c) {
  std::string d = c["kind"].get<std::string>() + " " + c["text"].get<std::string>();
  if (c.contains("text_pair")) d += " + " + c["text_pair"].get<std::string>();
  return d + " " + c["options"].dump();
}

class PythonRef : public ::testing::TestWithParam<std::string> {};

TEST_P(PythonRef, MatchesPythonTokenizers) {
  const std::string name = GetParam();
  const json golden = fx::load_json(fx::kTokenizersDir + "/golden/python/" + name + ".json");
  const std::string fixture = name.rfind("truncation-", 0) == 0 ? name.substr(11) : name;
  const Tokenizer tok = fx::load_tokenizer(fixture);
  // Known differences we keep (docs/tokenizers.md): RobertaProcessing gives the second text type
  // id 1 as Transformers.js does (Python: 0); Unigram offsets are per ASCII-delimited run, so
  // exact only for ASCII text.
  const bool compare_type_ids = fixture != "roberta-bpe";
  auto ascii = [](const std::string& t) {
    for (unsigned char ch : t)
      if (ch >= 0x80) return false;
    return true;
  };
  size_t checked = 0;
  for (const json& c : golden["cases"]) {
    SCOPED_TRACE(python_ref_case(c));
    ++checked;
    if (c.contains("error")) {
      EXPECT_THROW(run(tok, c), transformers::InvalidInputError) << c["error"];
      continue;
    }
    const Encoding e = run(tok, c);
    ASSERT_EQ(e.ids, fx::ints_of(c["ids"]));
    if (compare_type_ids) {
      EXPECT_EQ(e.token_type_ids, fx::ints_of(c["type_ids"]));
    }
    const bool compare_offsets = fixture != "unigram-t5" ||
                                 (ascii(fx::corpus_text(c["text"])) &&
                                  (!c.contains("text_pair") || ascii(fx::corpus_text(c["text_pair"]))));
    if (compare_offsets) {
      EXPECT_EQ(e.offsets, offsets(c["offsets"]));
    }
    EXPECT_EQ(e.attention_mask, std::vector<int64_t>(e.ids.size(), 1));
    std::vector<std::vector<int64_t>> over;
    for (const Encoding& o : e.overflowing) over.push_back(o.ids);
    EXPECT_EQ(over, c["overflowing"].get<std::vector<std::vector<int64_t>>>());
    if (c.contains("decode")) {
      EXPECT_EQ(tok.decode(e.ids), c["decode"].get<std::string>());
      EXPECT_EQ(tok.decode(e.ids, true), c["decode_skip"].get<std::string>());
    }
  }
  EXPECT_GT(checked, 100u);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, PythonRef,
                         ::testing::Values("scripts-delim", "truncation-bert-uncased-5k", "truncation-roberta-bpe",
                                           "truncation-unigram-t5"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& ch : n)
                             if (ch == '-') ch = '_';
                           return n;
                         });

}  // namespace
