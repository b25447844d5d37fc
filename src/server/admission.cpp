#include "server/admission.hpp"

#include <string>

#include "server/api_error.hpp"

namespace transformers::server {

Admission::Ticket Admission::enter() {
  std::unique_lock lock(mutex_);
  if (running_ < max_running_) {
    ++running_;
    return Ticket(this);
  }
  if (waiting_ >= max_waiting_) {
    ++rejected_;
    throw ApiError(429, "queue_full", std::to_string(running_) + " requests running and " + std::to_string(waiting_) +
                                          " waiting (--max-concurrent " + std::to_string(max_running_) + ", --max-queue " +
                                          std::to_string(max_waiting_) + "): try again later");
  }
  ++waiting_;
  freed_.wait(lock, [&] { return running_ < max_running_; });
  --waiting_;
  ++running_;
  return Ticket(this);
}

void Admission::leave() {
  {
    std::lock_guard lock(mutex_);
    --running_;
  }
  freed_.notify_one();
}

size_t Admission::running() const {
  std::lock_guard lock(mutex_);
  return running_;
}

size_t Admission::waiting() const {
  std::lock_guard lock(mutex_);
  return waiting_;
}

size_t Admission::rejected() const {
  std::lock_guard lock(mutex_);
  return rejected_;
}

}  // namespace transformers::server
