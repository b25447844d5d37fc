// The generation tasks from the command line, with exactly the flag names of issue 14: each flag reaches the
// library (the CLI's JSON equals the library's for the same options), --stream prints the text as it comes.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_support.hpp"
#include "transformers/pipeline.hpp"

using namespace transformers;
using fixtures::run_cli;

namespace {
const std::string kGpt2 = fixtures::model("tiny-gpt2").string();
const std::string kMarian = fixtures::model("tiny-marian").string();
const std::string kPrompt = "Once upon a time, there was a little";
}  // namespace

TEST(CliGeneration, EveryFlagReachesTheLibrary) {
  struct Case {
    std::string flags, json;
  };
  const std::vector<Case> cases = {
      {"--max-new-tokens 12", R"({"max_new_tokens": 12})"},
      {"--max-new-tokens 12 --min-new-tokens 10", R"({"max_new_tokens": 12, "min_new_tokens": 10})"},
      {"--max-new-tokens 12 --do-sample --temperature 0.7 --top-k 10 --top-p 0.9 --seed 7",
       R"({"max_new_tokens": 12, "do_sample": true, "temperature": 0.7, "top_k": 10, "top_p": 0.9, "seed": 7})"},
      {"--max-new-tokens 8 --num-beams 3", R"({"max_new_tokens": 8, "num_beams": 3})"},
      {"--max-new-tokens 12 --repetition-penalty 1.3", R"({"max_new_tokens": 12, "repetition_penalty": 1.3})"},
      {"--max-new-tokens 12 --no-repeat-ngram-size 2", R"({"max_new_tokens": 12, "no_repeat_ngram_size": 2})"},
  };
  const Pipeline p = pipeline("text-generation", kGpt2);
  for (const auto& c : cases) {
    const auto r = run_cli("run text-generation --model " + kGpt2 + " " + c.flags + " --json '" + kPrompt + "'");
    ASSERT_EQ(r.exit_code, 0) << c.flags << ": " << r.out;
    const std::string want = p(kPrompt, call_options_from_json("text-generation", c.json)).to_json();
    EXPECT_EQ(nlohmann::json::parse(r.out), nlohmann::json::parse(want)) << c.flags;
  }
}

TEST(CliGeneration, StreamPrintsTheGeneratedText) {
  const auto r = run_cli("run text-generation --model " + kGpt2 + " --max-new-tokens 12 --stream '" + kPrompt + "'");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  TextGenerationOptions o;
  o.generation.max_new_tokens = 12;
  o.return_full_text = false;
  const std::string text = pipeline("text-generation", kGpt2)(kPrompt, o).get<TextGenerationResult>().inputs[0][0].generated_text;
  EXPECT_EQ(r.out, text + "\n");
}

TEST(CliGeneration, TranslationAndAnOptionOfAnotherTask) {
  auto r = run_cli("run translation --model " + kMarian + " --max-new-tokens 20 --json 'hello world, the unknown is in the abc.'");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(nlohmann::json::parse(r.out), nlohmann::json::parse(R"([{"translation_text":"4bc11bc"}])"));
  r = run_cli("run translation --model " + kMarian + " --return-full-text 'hello'");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.out.find("--return-full-text does not apply to translation"), std::string::npos) << r.out;
  r = run_cli("run text-generation --model " + kGpt2 + " --max-new-tokens 500 'hello'");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.out.find("positions"), std::string::npos) << r.out;
}
