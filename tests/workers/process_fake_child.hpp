// A misbehaving worker child for the host-side tests: the test binary re-executes itself (through a
// symlink whose name is the mode) as `<mode> worker --fd N`; a static initializer notices and plays the
// child before GoogleTest's main runs.
#pragma once

#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <optional>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "workers/worker_protocol.hpp"

namespace fake_child {

namespace proto = transformers::workers::protocol;

inline std::vector<std::string> own_argv() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  const std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> args;
  size_t start = 0;
  while (start < all.size()) {
    const size_t end = all.find('\0', start);
    args.push_back(all.substr(start, end - start));
    start = end == std::string::npos ? all.size() : end + 1;
  }
  return args;
}

inline void write_all(int fd, const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

inline std::string header(proto::MessageType type, uint64_t id, uint32_t length) {
  proto::FrameHeader h;
  h.type = type;
  h.request_id = id;
  h.payload_length = length;
  std::string b(proto::kHeaderSize, '\0');
  proto::encode_header(h, reinterpret_cast<unsigned char*>(b.data()));
  return b;
}

// Reads frames until one of `type` arrives (nullopt at end of stream).
inline std::optional<proto::Frame> wait_for(int fd, proto::FrameDecoder& d, proto::MessageType type) {
  for (;;) {
    while (auto f = d.next())
      if (f->header.type == type) return f;
    if (!proto::receive_some(fd, d)) return std::nullopt;
  }
}

inline void drain(int fd) {
  char buf[4096];
  while (::recv(fd, buf, sizeof buf, 0) > 0) {
  }
}

// Plays `mode` on fd; returns the exit code.
inline int play(const std::string& mode, int fd) {
  if (mode == "garbage-at-hello") {
    write_all(fd, "HTTP/1.1 200 OK\r\n\r\nthis is not the worker protocol");
    drain(fd);
    return 0;
  }
  if (mode == "exit-at-once") return 7;
  proto::FrameDecoder d;
  auto hello = wait_for(fd, d, proto::MessageType::hello);
  if (!hello) return 1;
  proto::Hello answer;
  answer.pid = static_cast<int32_t>(getpid());
  proto::send_frame(fd, proto::MessageType::hello, hello->header.request_id, proto::encode_hello(answer));
  if (mode == "silent") {  // answers nothing more, pings included
    drain(fd);
    return 0;
  }
  auto call = wait_for(fd, d, proto::MessageType::call);
  if (!call) return 1;
  const uint64_t id = call->header.request_id;
  if (mode == "truncated-result") {
    write_all(fd, header(proto::MessageType::result, id, 100) + std::string(10, 'x'));
    return 0;  // closes mid-frame
  }
  if (mode == "bad-payload") {
    // pipelines 1, no truncated input, then result kind 7, which does not exist
    const std::string junk("\x01\x00\x00\x00\x00\x00\x00\x00\x07junk", 13);
    write_all(fd, header(proto::MessageType::result, id, static_cast<uint32_t>(junk.size())) + junk);
  } else if (mode == "unknown-id") {
    write_all(fd, header(proto::MessageType::done, id + 1000, 0));
  } else if (mode == "oversized") {
    write_all(fd, header(proto::MessageType::result, id, 0xfffffff0u));
  } else if (mode == "garbage-after-hello") {
    write_all(fd, std::string(64, '\xff'));
  } else if (mode == "crash-in-call") {
    std::abort();
  }
  drain(fd);
  return 0;
}

inline int maybe_play() {
  const auto args = own_argv();
  if (args.size() != 4 || args[1] != "worker" || args[2] != "--fd") return 0;
  const std::string argv0 = args[0];
  const std::string mode = argv0.substr(argv0.find_last_of('/') + 1);
  const int fd = std::atoi(args[3].c_str());
  int code = 1;
  try {
    code = play(mode, fd);
  } catch (...) {
    code = 2;
  }
  _exit(code);
}

inline const int played = maybe_play();

}  // namespace fake_child
