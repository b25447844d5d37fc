// A small HTTP/1.1 client for the server tests: whole requests over one connection (Boost.Beast, sync),
// and a raw socket for what a well-behaved client would not do (partial headers, garbage, reading a
// stream piece by piece).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

namespace test_http {

struct Response {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  nlohmann::json json() const { return nlohmann::json::parse(body); }
};

// One connection; requests one after another on it (keep-alive). Beast lives in http_client.cpp only: it
// is the heaviest header here, and every test file includes this one.
class Client {
 public:
  explicit Client(uint16_t port);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  Response request(const std::string& method, const std::string& target, const std::string& body = "",
                   const std::map<std::string, std::string>& headers = {});

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One request on a fresh connection.
inline Response request(uint16_t port, const std::string& method, const std::string& target, const std::string& body = "",
                        const std::map<std::string, std::string>& headers = {}) {
  Client c(port);
  return c.request(method, target, body, headers);
}

inline Response post(uint16_t port, const std::string& target, const nlohmann::json& body,
                     const std::map<std::string, std::string>& headers = {}) {
  return request(port, "POST", target, body.dump(), headers);
}

// A plain TCP connection: send bytes, read what arrives (until `until` appears, the peer closes, or the
// timeout passes).
class RawSocket {
 public:
  explicit RawSocket(uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~RawSocket() { ::close(fd_); }
  bool connected() const { return connected_; }
  bool send(const std::string& data) { return ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL) == ssize_t(data.size()); }
  // Reads until `until` is in what arrived, the peer closes (closed() then true), or `timeout`.
  std::string read(std::chrono::milliseconds timeout, const std::string& until = "") {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      if (!until.empty() && got_.find(until) != std::string::npos) break;
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
      if (left <= 0) break;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left)) <= 0) break;
      char buf[4096];
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        closed_ = true;
        break;
      }
      got_.append(buf, static_cast<size_t>(n));
    }
    return got_;
  }
  bool closed() const { return closed_; }

 private:
  int fd_;
  bool connected_ = false, closed_ = false;
  std::string got_;
};

}  // namespace test_http
