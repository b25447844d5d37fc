// `transformers-cpp worker --fd N`: a process worker's child (started by the library, not by hand).
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "cli/args.hpp"
#include "transformers/error.hpp"
#include "workers/worker_server.hpp"

namespace transformers::cli {

int worker_command(const Args& args) {
  if (!args.positionals().empty()) throw InvalidInputError("worker takes no positional arguments");
  const int fd = args.get_int("fd", -1);
  struct stat st {};
  if (fd < 0 || fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) {
    throw InvalidInputError("worker needs --fd N, the socket inherited from the host process (got " +
                            args.get("fd").value_or("none") + ")");
  }
  // Nothing this process might start should inherit the connection to the host.
  fcntl(fd, F_SETFD, FD_CLOEXEC);
  return workers::serve_worker(fd);
}

}  // namespace transformers::cli
