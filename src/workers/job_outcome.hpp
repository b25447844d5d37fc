// What a queued job produced — a value or an exception — kept until it is handed to the caller's promise.
// Shared by the thread worker (jobs run on its thread) and the pool (jobs waited on in a worker).
#pragma once

#include <exception>
#include <future>
#include <optional>
#include <type_traits>

namespace transformers::workers {

template <class T>
struct JobOutcome {
  std::conditional_t<std::is_void_v<T>, bool, std::optional<T>> result{};
  std::exception_ptr error;

  // Runs f and keeps its result or the exception it threw (with its own type, for the caller).
  template <class F>
  void capture(F&& f) {
    try {
      if constexpr (std::is_void_v<T>) {
        f();
      } else {
        result.emplace(f());
      }
    } catch (...) {
      error = std::current_exception();
    }
  }

  void deliver(std::promise<T>& promise) {
    if (error) {
      promise.set_exception(error);
    } else if constexpr (std::is_void_v<T>) {
      promise.set_value();
    } else {
      promise.set_value(std::move(*result));
    }
  }
};

}  // namespace transformers::workers
