// Starting and reaping a process worker's child: which executable, fork + exec with fd hygiene and an
// optional address-space cap, and how its end is described.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>

namespace transformers::workers {

// WorkerOptions::executable, else $TRANSFORMERS_WORKER_EXECUTABLE, else transformers-cpp next to
// /proc/self/exe, else on PATH. Throws Error naming everything tried.
std::filesystem::path resolve_worker_executable(const std::filesystem::path& configured);

struct SpawnedChild {
  pid_t pid = -1;
  int socket = -1;  // the host's end (close-on-exec)
  int pidfd = -1;   // -1 where pidfd_open is unavailable
};

// Runs `<executable> worker --fd N` with N its end of a fresh socketpair: every other descriptor is
// closed at exec, stdin is /dev/null, the signal mask is cleared, RLIMIT_AS is set when
// memory_limit_bytes > 0. Throws Error if the program cannot be executed (after reaping the child).
SpawnedChild spawn_worker_process(const std::filesystem::path& executable, uint64_t memory_limit_bytes);

// Sends SIGKILL through the pidfd (immune to pid reuse), else kill().
void kill_child(const SpawnedChild& child);

// Waits for the child to end: at most `grace`, then SIGKILL and wait. Returns the wait status.
int reap_child(const SpawnedChild& child, std::chrono::milliseconds grace);

// "exited with status 3", "was killed by signal 9 (SIGKILL)".
std::string describe_wait_status(int status);

}  // namespace transformers::workers
