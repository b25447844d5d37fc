// `transformers-cpp tokenize`: runs the real binary and checks its ids against the Transformers.js
// goldens, its tokens and offsets against the library, --decode, and its errors.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "tokenizer_test_support.hpp"
#include "transformers/tokenizer.hpp"

namespace {

namespace fx = transformers::fixtures;
using nlohmann::json;

using Result = fx::CliResult;

std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

Result run_cli(const std::string& args) { return fx::run_cli("tokenize " + args); }

// The Transformers.js golden case of `fixture` for corpus text `name` (single or pair), default options.
json golden_case(const std::string& fixture, const std::string& name, const std::string& pair = "") {
  const json g = fx::load_json(fx::kTokenizersDir + "/golden/" + fixture + ".json");
  for (const json& c : g["cases"]) {
    if (c["text"] != name || c["options"].size() > (pair.empty() ? 1u : 0u)) continue;
    if (pair.empty() ? (c["kind"] == "single" && c["options"]["add_special_tokens"] == true)
                     : (c["kind"] == "pair" && c["text_pair"] == pair))
      return c;
  }
  throw std::runtime_error("no golden case for " + name);
}

const std::string kBert = fx::kTokenizersDir + "/bert-uncased-5k";

TEST(TokenizeCli, JsonIdsMatchTransformersJsAndTheLibrary) {
  for (const std::string fixture : {"bert-uncased-5k", "gpt2", "unigram-t5"}) {
    SCOPED_TRACE(fixture);
    for (const std::string name : {"simple", "accents_latin", "emoji"}) {
      const std::string& text = fx::corpus_text(json(name));
      const Result r = run_cli("--model " + fx::kTokenizersDir + "/" + fixture + " --json " + quote(text));
      ASSERT_EQ(r.exit_code, 0) << r.out;
      const json got = json::parse(r.out);
      EXPECT_EQ(got["ids"], golden_case(fixture, name)["ids"]);
      const auto e = fx::load_tokenizer(fixture).encode(text);
      EXPECT_EQ(got["tokens"].get<std::vector<std::string>>(), e.tokens);
      ASSERT_EQ(got["offsets"].size(), e.offsets.size());
      for (size_t i = 0; i < e.offsets.size(); ++i)
        EXPECT_EQ(got["offsets"][i], json::array({e.offsets[i].first, e.offsets[i].second}));
    }
  }
}

TEST(TokenizeCli, PairAndNoSpecial) {
  const std::string a = fx::corpus_text(json("simple")), b = fx::corpus_text(json("accents_latin"));
  Result r = run_cli("--model " + kBert + " --json --pair " + quote(b) + " " + quote(a));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const json want = golden_case("bert-uncased-5k", "simple", "accents_latin");
  EXPECT_EQ(json::parse(r.out)["ids"], want["ids"]);
  EXPECT_EQ(json::parse(r.out)["token_type_ids"], want["token_type_ids"]);
  r = run_cli("--model " + kBert + " --no-special --json " + quote(a));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const json plain = json::parse(r.out)["ids"];
  json with = golden_case("bert-uncased-5k", "simple")["ids"];
  EXPECT_EQ(plain, json(std::vector<json>(with.begin() + 1, with.end() - 1)));  // without [CLS] ... [SEP]
}

TEST(TokenizeCli, TableShowsTokensOffsetsAndText) {
  const Result r = run_cli("--model " + kBert + " 'Hello, world!'");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("[CLS]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("7:12"), std::string::npos) << r.out;  // "world"
  EXPECT_NE(r.out.find("world"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("tokens"), std::string::npos) << r.out;
}

TEST(TokenizeCli, DecodeIsTheReverse) {
  const json c = golden_case("bert-uncased-5k", "simple");
  std::string ids;
  for (const auto& id : c["ids"]) ids += (ids.empty() ? "" : ",") + std::to_string(id.get<int64_t>());
  Result r = run_cli("--model " + kBert + " --decode " + ids);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.out, c["decode"].get<std::string>() + "\n");
  r = run_cli("--model " + kBert + " --decode " + quote(ids) + " --skip-special --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(json::parse(r.out)["text"], c["decode_skip"]);
}

TEST(TokenizeCli, ErrorsExitNonZeroAndSayWhy) {
  Result r = run_cli("--model " + kBert + " --decode 101,abc");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.out.find("'abc'"), std::string::npos) << r.out;
  r = run_cli("--model /nonexistent 'hi'");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.out.find("/nonexistent"), std::string::npos) << r.out;
  r = run_cli("--model " + kBert);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.out.find("TEXT"), std::string::npos) << r.out;
  r = run_cli("--model " + kBert + " --frobnicate 'hi'");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.out.find("frobnicate"), std::string::npos) << r.out;
}

}  // namespace
