// A host process with a long command line must be able to create pipelines: ONNX Runtime's environment
// creation walks /proc/self/cmdline with a recursive regex and overflowed an 8 MiB stack from 33 KB on
// (issue 11). The real binary is started with a 1 MB command line and an 8 MiB stack limit.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "test_support.hpp"

using namespace transformers;

namespace {
// Runs argv with stdout to a file; returns the wait status and what it printed.
std::pair<int, std::string> spawn_and_read(const std::vector<std::string>& args) {
  const std::string out_path = ::testing::TempDir() + "long_cmdline_" + std::to_string(getpid()) + ".out";
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return {-1, std::string("posix_spawn: ") + std::strerror(rc)};
  int status = 0;
  waitpid(pid, &status, 0);
  std::ifstream in(out_path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::remove(out_path.c_str());
  return {status, ss.str()};
}
}  // namespace

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
  const auto [status, out] = spawn_and_read(args);
  setrlimit(RLIMIT_STACK, &old);
  ASSERT_TRUE(WIFEXITED(status)) << (WIFSIGNALED(status) ? "killed by signal " + std::to_string(WTERMSIG(status)) : out);
  ASSERT_EQ(WEXITSTATUS(status), 0) << out;
  const auto j = nlohmann::json::parse(out);
  ASSERT_EQ(j.size(), 10u);
  EXPECT_EQ(j[0], j[9]);
}
