// Runs the real transformers-cpp binary and checks what a user sees.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <nlohmann/json.hpp>

#include "test_support.hpp"
#include "transformers/pipeline.hpp"

using namespace transformers;

namespace {
using Result = fixtures::CliResult;
using fixtures::run_cli;
using transformers::fixtures::kSentimentModel;
using transformers::fixtures::kEmbedderModel;
}  // namespace

TEST(Cli, RunJsonEqualsTheLibrary) {
  const Result r = run_cli("run text-classification --model " + kSentimentModel + " --json 'I love this'");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto got = nlohmann::json::parse(r.out);
  const auto want = nlohmann::json::parse(pipeline("text-classification", kSentimentModel)("I love this").to_json());
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0]["label"], want[0]["label"]);
  EXPECT_DOUBLE_EQ(got[0]["score"].get<double>(), want[0]["score"].get<double>());
}

// One JSON line per stdin line (stdin_stream_test.cpp has the rest of the streaming contract).
TEST(Cli, RunReadsLinesFromStdinAsJsonLines) {
  const std::string cmd = "run feature-extraction --model " + kEmbedderModel + " --pooling mean --normalize --json";
  const std::string full = "printf 'first line\\nsecond one\\n' | " + std::string(TRANSFORMERS_CLI_PATH) + " " + cmd;
  FILE* f = popen(full.c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  ASSERT_EQ(pclose(f), 0) << out;
  std::istringstream lines(out);
  size_t count = 0;
  for (std::string line; std::getline(lines, line); ++count) EXPECT_EQ(nlohmann::json::parse(line)["dims"][0], 1);
  EXPECT_EQ(count, 2u);
}

TEST(Cli, UnknownTaskExitsWithUsageErrorListingTasks) {
  const Result r = run_cli("run image-classification --model " + kSentimentModel + " hi");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("unknown task 'image-classification'"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("feature-extraction"), std::string::npos) << r.out;
}

// TRANSFORMERS_CPP_ORT_SPINNING sets the engine's spinning default: 0 gives the same answer, a value that
// is neither 0 nor 1 is refused with the variable's name, not ignored.
TEST(Cli, OrtSpinningVariableIsAppliedOrRefusedByName) {
  const std::string args = "run text-classification --model " + kSentimentModel + " --json 'I love this'";
  const Result plain = run_cli(args, "TRANSFORMERS_CPP_ORT_SPINNING=1");  // the tests' environment sets 0
  ASSERT_EQ(plain.exit_code, 0) << plain.out;
  const Result quiet = run_cli(args, "TRANSFORMERS_CPP_ORT_SPINNING=0");
  ASSERT_EQ(quiet.exit_code, 0) << quiet.out;
  EXPECT_EQ(quiet.out, plain.out);
  const Result bad = run_cli(args, "TRANSFORMERS_CPP_ORT_SPINNING=sometimes");
  EXPECT_NE(bad.exit_code, 0) << bad.out;
  EXPECT_NE(bad.out.find("TRANSFORMERS_CPP_ORT_SPINNING must be 0 or 1, got 'sometimes'"), std::string::npos) << bad.out;
}

TEST(Cli, MissingModelFolderIsNamed) {
  const Result r = run_cli("run text-classification --model /no/such/folder hi");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("/no/such/folder"), std::string::npos) << r.out;
}

TEST(Cli, UnknownOptionIsRefused) {
  const Result r = run_cli("run text-classification --model " + kSentimentModel + " --topk 2 hi");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("--topk"), std::string::npos) << r.out;
}

TEST(Cli, InspectShowsGraphAndOpset) {
  const Result r = run_cli("inspect " + kSentimentModel);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("model_type    bert"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("input   input_ids"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("output  logits"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("ai.onnx="), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("1=POSITIVE"), std::string::npos) << r.out;
}

TEST(Cli, BenchJsonHasEveryField) {
  const Result r = run_cli("bench text-classification --model " + kSentimentModel + " --batch 2 --seq 8 --runs 3 --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  for (const char* k : {"impl", "task", "batch", "seq", "runs", "threads", "load_ms", "first_run_ms", "p50_ms", "p90_ms",
                        "seqs_per_s", "rss_mib"}) {
    EXPECT_TRUE(j.contains(k)) << k;
  }
  EXPECT_EQ(j["batch"], 2);
  EXPECT_GT(j["rss_mib"]["after_load"].get<double>(), 0.0);
}

TEST(Cli, MemProfileHasEveryPhaseAndAPlot) {
  const std::string plot = ::testing::TempDir() + "tfcpp_mem.svg";
  const Result r = run_cli("mem text-classification --model " + kSentimentModel + " --policy deferred:50 --runs 2 --cycles 3 --then " +
                           fixtures::model("tiny-bert-multilabel").string() + " --plot " + plot + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  std::vector<std::string> names;
  for (const auto& p : j["phases"]) names.push_back(p["phase"]);
  EXPECT_EQ(names, (std::vector<std::string>{"baseline", "after load", "after first run", "after 2 runs", "after dispose",
                                             "second loaded", "second run", "second disposed", "after idle 50 ms",
                                             "after trim"}));
  EXPECT_EQ(j["policy"], "deferred:50");
  EXPECT_EQ(j["phases"][2]["report"]["pipelines"].size(), 1u);
  EXPECT_EQ(j["phases"][4]["report"]["pipelines"].size(), 0u);
  EXPECT_EQ(j["cycle_rss_mib"].size(), 3u);
  std::ifstream svg(plot);
  std::string first_line;
  std::getline(svg, first_line);
  EXPECT_NE(first_line.find("<svg"), std::string::npos);
}

TEST(Cli, MemRejectsAnUnknownPolicy) {
  const Result r = run_cli("mem text-classification --model " + kSentimentModel + " --policy sometimes");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("sometimes"), std::string::npos) << r.out;
}

TEST(Cli, SimilarityRanksByCosineOfTheLibrarysEmbeddings) {
  const std::vector<std::string> texts = {"how do I reset my password", "the weather is nice \"today\"",
                                          "how can I change my password", "password reset steps"};
  std::string cmd = "similarity --model " + kEmbedderModel + " --json";
  for (const auto& t : texts) cmd += " '" + t + "'";
  const Result r = run_cli(cmd);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["query"], texts[0]);
  // Independent check: cosines from the library's normalized mean-pooled embeddings.
  FeatureExtractionOptions o;
  o.pooling = Pooling::mean;
  o.normalize = true;
  const Tensor e = pipeline("feature-extraction", kEmbedderModel)(texts, o).tensor();
  const size_t dim = e.dims[1];
  ASSERT_EQ(j["ranking"].size(), 3u);
  double previous = 2.0;
  for (const auto& row : j["ranking"]) {
    const size_t i = row["index"].get<size_t>() + 1;
    double cos = 0;
    for (size_t k = 0; k < dim; ++k) cos += double(e.data[k]) * e.data[i * dim + k];
    EXPECT_NEAR(row["cosine"].get<double>(), cos, 1e-5);
    EXPECT_EQ(row["text"], texts[i]);
    EXPECT_LE(row["cosine"].get<double>(), previous);
    previous = row["cosine"].get<double>();
  }
  EXPECT_EQ(j["memory"]["pipelines"].size(), 1u);
}

TEST(Cli, NoPrepackFlagGivesTheSameAnswer) {
  const Result plain = run_cli("run text-classification --model " + kSentimentModel + " --top-k all --json 'I love this'");
  const Result packed = run_cli("run text-classification --model " + kSentimentModel + " --no-prepack --top-k all --json 'I love this'");
  ASSERT_EQ(plain.exit_code, 0) << plain.out;
  ASSERT_EQ(packed.exit_code, 0) << packed.out;
  const auto a = nlohmann::json::parse(plain.out), b = nlohmann::json::parse(packed.out);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i]["label"], b[i]["label"]);
    EXPECT_NEAR(a[i]["score"].get<double>(), b[i]["score"].get<double>(), 1e-4);
  }
}

// `mem --worker process`: the model lives in the child (its RSS grows, the host's barely moves) and the
// host is back near where it started once the worker is gone.
TEST(Cli, MemWorkerProcessShowsTheModelInTheChildAndTheHostBackAfterTerminate) {
  SKIP_RSS_UNDER_ASAN();
  const Result r = run_cli("mem feature-extraction --model " + kEmbedderModel + " --worker process --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("worker"), "process");
  std::map<std::string, nlohmann::json> phase;
  for (const auto& p : j.at("phases")) phase[p.at("phase").get<std::string>()] = p;
  for (const char* name : {"before worker", "pipeline loaded", "after terminate"}) ASSERT_TRUE(phase.count(name)) << name;
  const auto host_rss = [&](const char* name) { return phase[name].at("host").at("process").at("rss").get<double>(); };
  const auto& loaded_worker = phase["pipeline loaded"].at("worker");
  EXPECT_EQ(loaded_worker.at("pipelines").size(), 1u);
  const double child_rss = loaded_worker.at("process").at("rss").get<double>();
  const double host_growth = host_rss("pipeline loaded") - host_rss("before worker");
  EXPECT_GT(child_rss, host_growth + 16.0 * (1 << 20)) << "the child, not the host, holds ONNX Runtime and the model";
  EXPECT_TRUE(phase["after terminate"].at("worker").is_null());
  EXPECT_LT(host_rss("after terminate"), host_rss("before worker") + 4.0 * (1 << 20));
}

TEST(Cli, MemWorkerThreadListsTheWorkersPipeline) {
  const Result r = run_cli("mem feature-extraction --model " + kEmbedderModel + " --worker thread --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("worker"), "thread");
  size_t with_pipeline = 0;
  for (const auto& p : j.at("phases"))
    if (!p.at("worker").is_null() && p.at("worker").at("pipelines").size() == 1) ++with_pipeline;
  EXPECT_GE(with_pipeline, 3u) << "loaded, after the first run, after the runs";
}

// The articles' scenario as a command: translation, then text-classification in the same worker.
TEST(Cli, MemThenAnotherTaskRunsBothPipelinesInTheWorker) {
  const Result r = run_cli("mem translation --model " + fixtures::model("translit-ru-latn").string() +
                           " --then text-classification:" + kSentimentModel + " --worker thread --runs 1 --warm-up --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  std::map<std::string, nlohmann::json> phase;
  std::vector<std::string> names;
  for (const auto& p : j.at("phases")) {
    names.push_back(p.at("phase"));
    phase[names.back()] = p;
  }
  EXPECT_EQ(names, (std::vector<std::string>{"before worker", "worker started", "warmed up", "pipeline loaded", "after first run",
                                             "after 1 runs", "after dispose", "second loaded", "second run",
                                             "second disposed", "after terminate"}));
  EXPECT_EQ(phase["pipeline loaded"]["worker"]["pipelines"][0]["task"], "translation");
  EXPECT_EQ(phase["second loaded"]["worker"]["pipelines"][0]["task"], "text-classification");
  EXPECT_TRUE(phase["after dispose"]["worker"]["pipelines"].empty());
  EXPECT_TRUE(phase["warmed up"]["worker"]["pipelines"].empty());
}

TEST(Cli, MemThenWithoutAFolderIsAClearError) {
  const Result r = run_cli("mem text-classification --model " + kSentimentModel + " --then text-classification:");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("--then"), std::string::npos) << r.out;
}

// Each new task's flags (exactly the names of issue 13) give with --json what the library's to_json gives
// for the same call (and so what Transformers.js returns: tests/pipelines/task_golden_test.cpp).
TEST(Cli, EveryTaskRunsWithItsFlagsAndPrintsTheLibrarysJson) {
  const auto model = [](const char* name) { return fixtures::model(name).string(); };
  struct Case {
    std::string args;
    std::function<Output()> library;
  };
  const std::vector<Case> cases = {
      {"run token-classification --model " + model("tiny-bert-ner") + " --aggregation-strategy simple --json 'John lives in New York.'",
       [&] {
         return pipeline("ner", model("tiny-bert-ner"))("John lives in New York.",
                                                        TokenClassificationOptions{.aggregation_strategy = AggregationStrategy::simple});
       }},
      {"run fill-mask --model " + model("tiny-bert-mlm") + " --top-k 2 --json 'Paris is [MASK].'",
       [&] { return pipeline("fill-mask", model("tiny-bert-mlm"))("Paris is [MASK].", FillMaskOptions{.top_k = 2}); }},
      {"run question-answering --model " + model("tiny-bert-qa") + " --question 'Where?' --context 'John lives in New York.' --top-k 2 --json",
       [&] {
         return pipeline("question-answering", model("tiny-bert-qa"))(TextPair{"Where?", "John lives in New York."},
                                                                      QuestionAnsweringOptions{.top_k = 2});
       }},
      {"run zero-shot-classification --model " + model("tiny-bert-nli") +
           " --candidate-labels 'sports,politics' --multi-label --hypothesis-template 'About {}.' --json 'The team won.'",
       [&] {
         return pipeline("zero-shot-classification", model("tiny-bert-nli"))(
             "The team won.", ZeroShotClassificationOptions{{"sports", "politics"}, "About {}.", true});
       }},
      {"run text-classification --model " + model("tiny-bert-nli") + " --text-pair 'Music is played.' --json 'A man plays guitar.'",
       [&] { return pipeline("text-classification", model("tiny-bert-nli"))(TextPair{"A man plays guitar.", "Music is played."}); }},
  };
  for (const auto& c : cases) {
    const Result r = run_cli(c.args);
    ASSERT_EQ(r.exit_code, 0) << c.args << "\n" << r.out;
    EXPECT_EQ(nlohmann::json::parse(r.out), nlohmann::json::parse(c.library().to_json())) << c.args;
  }
}

TEST(Cli, TaskFlagsOfAnotherTaskOrOfTheWrongKindAreNamed) {
  const std::string mlm = fixtures::model("tiny-bert-mlm").string(), ner = fixtures::model("tiny-bert-ner").string();
  const std::pair<std::string, std::string> cases[] = {
      {"run fill-mask --model " + mlm + " --pooling mean 'x [MASK]'", "--pooling does not apply to fill-mask"},
      {"run ner --model " + ner + " --aggregation-strategy longest x", "--aggregation-strategy: expected one of none|simple"},
      {"run fill-mask --model " + mlm + " --top-k many 'x [MASK]'", "--top-k"},
      {"run question-answering --model " + mlm + " x", "--question Q and --context C"},
      {"run zero-shot-classification --model " + mlm + " x", "no candidate labels"},
  };
  for (const auto& [args, fragment] : cases) {
    const Result r = run_cli(args);
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.out;
    EXPECT_NE(r.out.find(fragment), std::string::npos) << args << "\n" << r.out;
  }
}
