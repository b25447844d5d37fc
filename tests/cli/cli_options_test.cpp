// Options that do not apply are errors naming them, every command answers --help, and every --json output
// is valid JSON whatever the model path holds (issue 11).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "test_support.hpp"

using namespace transformers;
using fixtures::run_cli;

namespace {
using transformers::fixtures::kSentimentModel;
using transformers::fixtures::kEmbedderModel;

// A link to a fixture whose name holds a quote, a backslash and a byte that is not UTF-8.
struct OddlyNamedModel {
  std::filesystem::path dir;
  explicit OddlyNamedModel(const std::string& target) {
    dir = std::filesystem::path(::testing::TempDir()) /
          ("odd \"q\" \\b \xff " + std::filesystem::path(target).filename().string() + std::to_string(getpid()));
    std::filesystem::create_directory_symlink(target, dir);
  }
  ~OddlyNamedModel() { std::filesystem::remove(dir); }
  std::string quoted() const { return "'" + dir.string() + "'"; }
};
}  // namespace

TEST(CliOptions, EveryCommandAnswersHelpAndTheVersionNamesOnnxRuntime) {
  for (const char* cmd : {"run", "inspect", "bench", "similarity", "mem", "tokenize", "worker"}) {
    const auto r = run_cli(std::string(cmd) + " --help");
    EXPECT_EQ(r.exit_code, 0) << cmd << ": " << r.out;
    EXPECT_NE(r.out.find(std::string("  ") + cmd), std::string::npos) << cmd << ": " << r.out;
  }
  const auto v = run_cli("--version");
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_NE(v.out.find("ONNX Runtime 1."), std::string::npos) << v.out;
}

TEST(CliOptions, OptionsThatDoNotApplyAreErrorsNamingThem) {
  const std::pair<std::string, std::string> cases[] = {
      {"run feature-extraction --model " + kEmbedderModel + " --top-k 2 hi", "--top-k"},
      {"run feature-extraction --model " + kEmbedderModel + " --function-to-apply none hi", "--function-to-apply"},
      {"run text-classification --model " + kSentimentModel + " --pooling mean hi", "--pooling"},
      {"run text-classification --model " + kSentimentModel + " --normalize hi", "--normalize"},
      {"bench text-classification --model " + kSentimentModel + " --pooling cls", "--pooling"},
      {"mem text-classification --model " + kSentimentModel + " --then " + kSentimentModel + " --inputs /nonexistent/inputs.txt",
       "/nonexistent/inputs.txt"},
      {"run text-classification --model " + kSentimentModel + " --dtype '' hi", "dtype is empty"},
      {"similarity --model " + kEmbedderModel + " --pooling none a b", "--pooling none"},
      {"inspect --dtype q8 " + kSentimentModel, "--dtype"},
  };
  for (const auto& [args, fragment] : cases) {
    const auto r = run_cli(args);
    EXPECT_EQ(r.exit_code, 2) << args << ": " << r.out;
    EXPECT_NE(r.out.find(fragment), std::string::npos) << args << ": " << r.out;
  }
}

TEST(CliOptions, SizesAreCheckedAgainstTheModelAndTheRunIsReported) {
  const auto seq = run_cli("bench text-classification --model " + kSentimentModel + " --seq 2147483647");
  EXPECT_EQ(seq.exit_code, 2) << seq.out;
  EXPECT_NE(seq.out.find("exceeds the 512 tokens"), std::string::npos) << seq.out;
  const auto batch = run_cli("bench text-classification --model " + kSentimentModel + " --batch 2147483647");
  EXPECT_EQ(batch.exit_code, 2) << batch.out;
  EXPECT_NE(batch.out.find("--batch"), std::string::npos) << batch.out;
  const auto threads = run_cli("run text-classification --model " + kSentimentModel + " --threads 1000 hi");
  EXPECT_EQ(threads.exit_code, 2) << threads.out;
  EXPECT_NE(threads.out.find("--threads must be 0"), std::string::npos) << threads.out;
  // The 5k vocabulary splits "hello" in two: --seq 16 is 16 tokens, counted, not 14 words.
  const auto r = run_cli("bench feature-extraction --model " + fixtures::model("tiny-bert-embedder").string() +
                         " --seq 16 --runs 2 --warmup 0 --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(nlohmann::json::parse(r.out)["seq"], 16);
}

TEST(CliOptions, JsonIsValidForAnyModelPath) {
  OddlyNamedModel cls(kSentimentModel), emb(kEmbedderModel);
  const std::string cmds[] = {
      "inspect --json " + cls.quoted(),
      "bench text-classification --runs 2 --warmup 0 --json --model " + cls.quoted(),
      "mem text-classification --runs 1 --cycles 1 --json --model " + cls.quoted(),
      "similarity --json --model " + emb.quoted() + " a b",
      "run text-classification --json --model " + cls.quoted() + " hi",
  };
  for (const auto& c : cmds) {
    const auto r = run_cli(c + " 2>/dev/null");
    ASSERT_EQ(r.exit_code, 0) << c << ": " << r.out;
    EXPECT_NO_THROW((void)nlohmann::json::parse(r.out)) << c << ": " << r.out;
  }
}

TEST(CliOptions, TokenizeReadsStdinRefusesUnknownIdsAndExitsOneForAMissingFolder) {
  const std::string in = ::testing::TempDir() + "tokenize_stdin.txt";
  std::ofstream(in) << "hello world\nsecond line\n";
  const auto lines = run_cli("tokenize --json --model " + kSentimentModel + " < " + in);
  ASSERT_EQ(lines.exit_code, 0) << lines.out;
  EXPECT_EQ(std::count(lines.out.begin(), lines.out.end(), '\n'), 2) << lines.out;
  const auto bad = run_cli("tokenize --model " + kSentimentModel + " --decode 101,999999999");
  EXPECT_EQ(bad.exit_code, 2) << bad.out;
  EXPECT_NE(bad.out.find("999999999 is not in the vocabulary"), std::string::npos) << bad.out;
  const auto missing = run_cli("tokenize --model /nonexistent/folder hi");
  EXPECT_EQ(missing.exit_code, 1) << missing.out;
  EXPECT_NE(missing.out.find("/nonexistent/folder"), std::string::npos) << missing.out;
}
