// The child side of a process worker (`transformers-cpp worker --fd N`): serves the host over the
// inherited socket until it says terminate or goes away.
#pragma once

namespace transformers::workers {

// Takes ownership of fd (a connected Unix stream socket). A reader thread answers pings at once and
// queues the rest; this thread runs them in order, one at a time. Returns the exit code: 0 after
// terminate or when the host closed the connection, 3 when the host broke the protocol (after telling it
// with an error frame).
int serve_worker(int fd);

}  // namespace transformers::workers
