// Starts a program with an exact argv (no shell: a long command line stays as given), stdin and stdout
// redirected to files, and reports how it ended and its peak RSS (wait4's rusage).
#pragma once

#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace transformers::fixtures {

struct ChildRun {
  int status = -1;      // wait status; -1 when it could not start
  long max_rss_kb = 0;  // the child's peak resident set
  std::string out;      // what it wrote to stdout
  std::string error;    // why it could not start
  bool exited_zero() const { return status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0; }
  std::string how() const {
    if (status < 0) return error;
    if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
    return "exit " + std::to_string(WEXITSTATUS(status));
  }
};

inline ChildRun spawn_child(const std::vector<std::string>& args, const std::string& stdin_path,
                            const std::string& stdout_path) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (!stdin_path.empty()) posix_spawn_file_actions_addopen(&actions, 0, stdin_path.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ChildRun r;
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    r.error = std::string("posix_spawn: ") + std::strerror(rc);
    return r;
  }
  rusage usage{};
  wait4(pid, &r.status, 0, &usage);
  r.max_rss_kb = usage.ru_maxrss;
  std::ifstream in(stdout_path);
  std::stringstream ss;
  ss << in.rdbuf();
  r.out = ss.str();
  std::remove(stdout_path.c_str());
  return r;
}

}  // namespace transformers::fixtures
