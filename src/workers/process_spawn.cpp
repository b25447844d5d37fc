// fork + exec of a process worker's child. Between fork and exec only async-signal-safe calls: the host
// is multi-threaded, so everything (argv, paths) is prepared before the fork.
#include "workers/process_spawn.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "transformers/error.hpp"

extern char** environ;

namespace transformers::workers {

namespace {
bool is_executable(const std::filesystem::path& p) {
  std::error_code ec;
  return std::filesystem::is_regular_file(p, ec) && ::access(p.c_str(), X_OK) == 0;
}
}  // namespace

std::filesystem::path resolve_worker_executable(const std::filesystem::path& configured) {
  if (!configured.empty()) {
    if (is_executable(configured)) return configured;
    throw Error("worker executable '" + configured.string() +
                "' (WorkerOptions::executable) does not exist or is not executable");
  }
  std::string tried;
  if (const char* env = std::getenv("TRANSFORMERS_WORKER_EXECUTABLE"); env && *env) {
    if (is_executable(env)) return env;
    tried += "$TRANSFORMERS_WORKER_EXECUTABLE='" + std::string(env) + "' (not an executable file), ";
  } else {
    tried += "$TRANSFORMERS_WORKER_EXECUTABLE (unset), ";
  }
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const auto beside = self.parent_path() / "transformers-cpp";
    if (is_executable(beside)) return beside;
    tried += beside.string() + " (missing), ";
  }
  if (const char* path = std::getenv("PATH"); path && *path) {
    std::string dirs = path;
    size_t start = 0;
    while (start <= dirs.size()) {
      const size_t end = std::min(dirs.find(':', start), dirs.size());
      const std::string dir = dirs.substr(start, end - start);
      if (!dir.empty() && is_executable(std::filesystem::path(dir) / "transformers-cpp"))
        return std::filesystem::path(dir) / "transformers-cpp";
      start = end + 1;
    }
    tried += "transformers-cpp on PATH=" + dirs;
  } else {
    tried += "PATH (unset)";
  }
  throw Error("no worker executable found: WorkerOptions::executable is empty; tried " + tried);
}

SpawnedChild spawn_worker_process(const std::filesystem::path& executable, uint64_t memory_limit_bytes) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
    throw Error(std::string("socketpair failed: ") + std::strerror(errno));
  int exec_pipe[2];
  if (pipe2(exec_pipe, O_CLOEXEC) != 0) {
    const int err = errno;
    ::close(sv[0]);
    ::close(sv[1]);
    throw Error(std::string("pipe2 failed: ") + std::strerror(err));
  }
  const int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);

  // Prepared before the fork: the child may only make async-signal-safe calls.
  const std::string exe = executable.string();
  const std::string fd_text = std::to_string(sv[1]);
  std::vector<char*> argv = {const_cast<char*>(exe.c_str()), const_cast<char*>("worker"),
                             const_cast<char*>("--fd"), const_cast<char*>(fd_text.c_str()), nullptr};
  const int child_fd = sv[1];
  const int report_fd = exec_pipe[1];

  const pid_t pid = fork();
  if (pid < 0) {
    const int err = errno;
    for (int fd : {sv[0], sv[1], exec_pipe[0], exec_pipe[1], devnull})
      if (fd >= 0) ::close(fd);
    throw Error(std::string("fork failed: ") + std::strerror(err));
  }
  if (pid == 0) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    signal(SIGPIPE, SIG_DFL);
    if (memory_limit_bytes > 0) {
      rlimit lim{memory_limit_bytes, memory_limit_bytes};
      setrlimit(RLIMIT_AS, &lim);
    }
    if (devnull >= 0) dup2(devnull, 0);
    // Every inherited descriptor closes at exec (ours are CLOEXEC already; other libraries' may not
    // be), except the child's end of the socket.
    if (syscall(SYS_close_range, 3u, ~0u, 4u /* CLOSE_RANGE_CLOEXEC */) != 0) {
      const long max_fd = sysconf(_SC_OPEN_MAX);
      for (int fd = 3; fd < (max_fd > 0 && max_fd < 65536 ? max_fd : 65536); ++fd) fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
    fcntl(child_fd, F_SETFD, 0);
    execve(argv[0], argv.data(), environ);
    const int err = errno;
    ssize_t ignored = ::write(report_fd, &err, sizeof err);
    (void)ignored;
    _exit(127);
  }
  ::close(sv[1]);
  ::close(exec_pipe[1]);
  if (devnull >= 0) ::close(devnull);
  SpawnedChild child;
  child.pid = pid;
  child.socket = sv[0];
  child.pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (child.pidfd >= 0) fcntl(child.pidfd, F_SETFD, FD_CLOEXEC);

  // The pipe closes at exec (nothing read) or carries exec's errno.
  int exec_errno = 0;
  ssize_t n;
  do {
    n = ::read(exec_pipe[0], &exec_errno, sizeof exec_errno);
  } while (n < 0 && errno == EINTR);
  ::close(exec_pipe[0]);
  if (n > 0) {
    reap_child(child, std::chrono::milliseconds(1000));
    ::close(child.socket);
    if (child.pidfd >= 0) ::close(child.pidfd);
    throw Error("cannot start worker '" + exe + "': " + std::strerror(exec_errno));
  }
  return child;
}

void kill_child(const SpawnedChild& child) {
  if (child.pidfd >= 0) {
    syscall(SYS_pidfd_send_signal, child.pidfd, SIGKILL, nullptr, 0);
  } else if (child.pid > 0) {
    ::kill(child.pid, SIGKILL);
  }
}

int reap_child(const SpawnedChild& child, std::chrono::milliseconds grace) {
  int status = 0;
  if (child.pidfd >= 0) {
    pollfd p{child.pidfd, POLLIN, 0};
    int r;
    do {
      r = poll(&p, 1, static_cast<int>(grace.count()));
    } while (r < 0 && errno == EINTR);
    if (r == 0) kill_child(child);
  } else {
    const auto deadline = std::chrono::steady_clock::now() + grace;
    for (;;) {
      const pid_t r = waitpid(child.pid, &status, WNOHANG);
      if (r == child.pid) return status;
      if (r < 0 && errno != EINTR) return status;
      if (std::chrono::steady_clock::now() >= deadline) {
        kill_child(child);
        break;
      }
      usleep(1000);
    }
  }
  pid_t r;
  do {
    r = waitpid(child.pid, &status, 0);
  } while (r < 0 && errno == EINTR);
  return status;
}

std::string describe_wait_status(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    const char* abbrev = sigabbrev_np(sig);
    return "was killed by signal " + std::to_string(sig) + " (SIG" + (abbrev ? abbrev : "?") + ": " +
           strsignal(sig) + ")";
  }
  return "ended with wait status " + std::to_string(status);
}

}  // namespace transformers::workers
