// Two processes on the same model: does each one's PSS count the shared weight pages once between them?
// Starts itself twice as a child (a pipeline loaded and run once, then waiting), reads both children's
// /proc/PID/smaps_rollup, prints RSS, anonymous RSS and PSS of each, and their sum (docs/memory.md).
//   build/bench/shared_pss MODEL_DIR [--no-prepack]
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <transformers/transformers.hpp>
#include <vector>

namespace tf = transformers;

namespace {
// kB fields of /proc/PID/smaps_rollup.
long field(pid_t pid, const char* name) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/smaps_rollup");
  for (std::string line; std::getline(in, line);)
    if (line.rfind(name, 0) == 0) return std::stol(line.substr(std::strlen(name)));
  return -1;
}

int child(const char* model, bool prepack) {
  tf::PipelineOptions o;
  o.session.prepack_weights = prepack;
  auto p = tf::pipeline("text-classification", model, o);
  p("hello world, a sentence to run once");
  std::printf("ready\n");
  std::fflush(stdout);
  pause();  // the parent reads our smaps, then kills us
  return 0;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc >= 3 && !std::strcmp(argv[1], "--child")) return child(argv[2], !(argc > 3 && !std::strcmp(argv[3], "--no-prepack")));
  if (argc < 2) {
    std::fprintf(stderr, "usage: shared_pss MODEL_DIR [--no-prepack]\n");
    return 2;
  }
  const bool no_prepack = argc > 2 && !std::strcmp(argv[2], "--no-prepack");
  std::vector<pid_t> pids;
  std::vector<FILE*> outs;
  for (int i = 0; i < 2; ++i) {
    int fds[2];
    if (pipe(fds) != 0) return 1;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    std::vector<char*> args = {argv[0], const_cast<char*>("--child"), argv[1]};
    if (no_prepack) args.push_back(const_cast<char*>("--no-prepack"));
    args.push_back(nullptr);
    pid_t pid;
    if (posix_spawn(&pid, argv[0], &fa, nullptr, args.data(), environ) != 0) return 1;
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    pids.push_back(pid);
    outs.push_back(fdopen(fds[0], "r"));
    char line[64];
    if (!fgets(line, sizeof line, outs.back())) return 1;  // one at a time: the first writes the cache
  }
  long rss_sum = 0, pss_sum = 0;
  for (pid_t pid : pids) {
    const long rss = field(pid, "Rss:"), anon = field(pid, "Anonymous:"), pss = field(pid, "Pss:");
    std::printf("pid %d: RSS %.1f MiB, anonymous %.1f MiB, PSS %.1f MiB\n", pid, rss / 1024.0, anon / 1024.0, pss / 1024.0);
    rss_sum += rss;
    pss_sum += pss;
  }
  std::printf("sum: RSS %.1f MiB, PSS %.1f MiB (PSS < RSS by the pages the two share)\n", rss_sum / 1024.0, pss_sum / 1024.0);
  for (pid_t pid : pids) {
    kill(pid, SIGTERM);
    waitpid(pid, nullptr, 0);
  }
  return 0;
}
