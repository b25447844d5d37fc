// A host process with a long command line must be able to create pipelines: ONNX Runtime's environment
// creation walks /proc/self/cmdline with a recursive regex and overflowed an 8 MiB stack from 33 KB on
// (issue 11). The real binary is started with a 1 MB command line and an 8 MiB stack limit.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "spawn_child.hpp"
#include "test_support.hpp"

using namespace transformers;


TEST(LongCommandLine, OneMegabyteCommandLineWithAnEightMibStack) {
  // The child inherits this limit: 8 MiB, the Debian default, whatever the test runner was given.
  rlimit old{};
  getrlimit(RLIMIT_STACK, &old);
  rlimit eight{8u << 20, old.rlim_max};
  if (old.rlim_max != RLIM_INFINITY && old.rlim_max < eight.rlim_cur) eight.rlim_cur = old.rlim_max;
  ASSERT_EQ(setrlimit(RLIMIT_STACK, &eight), 0);
  std::vector<std::string> args = {TRANSFORMERS_CLI_PATH, "run", "text-classification", "--model",
                                   fixtures::model("tiny-bert-sentiment").string(), "--json"};
  // Ten texts of 100 KB (one argument may hold at most 128 KiB), ordinary words.
  std::string text;
  while (text.size() < 100000) text += "the quick brown fox jumps over the lazy dog ";
  for (int i = 0; i < 10; ++i) args.push_back(text);
  const auto run = fixtures::spawn_child(args, "", ::testing::TempDir() + "long_cmdline.out");
  setrlimit(RLIMIT_STACK, &old);
  ASSERT_TRUE(run.exited_zero()) << run.how() << "\n" << run.out;
  const auto j = nlohmann::json::parse(run.out);
  ASSERT_EQ(j.size(), 10u);
  EXPECT_EQ(j[0], j[9]);
}
