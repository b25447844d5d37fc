// Backpressure: at most `max_concurrent` inference requests run at once and `max_queue` wait; one more is
// refused at once (429) instead of piling up memory and latency.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <mutex>

namespace transformers::server {

class Admission {
 public:
  Admission(size_t max_concurrent, size_t max_queue) : max_running_(max_concurrent ? max_concurrent : 1), max_waiting_(max_queue) {}

  class Ticket {
   public:
    explicit Ticket(Admission* a) : a_(a) {}
    Ticket(Ticket&& o) noexcept : a_(o.a_) { o.a_ = nullptr; }
    Ticket(const Ticket&) = delete;
    Ticket& operator=(const Ticket&) = delete;
    ~Ticket() {
      if (a_) a_->leave();
    }

   private:
    Admission* a_;
  };

  // Waits for a running slot; ApiError 429 when the queue is full.
  Ticket enter();
  size_t running() const;
  size_t waiting() const;
  size_t rejected() const;

 private:
  void leave();
  const size_t max_running_, max_waiting_;
  mutable std::mutex mutex_;
  std::condition_variable freed_;
  size_t running_ = 0, waiting_ = 0, rejected_ = 0;
};

}  // namespace transformers::server
