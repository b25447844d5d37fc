// Error hierarchy of the public API: every failure the library reports is a transformers::Error.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace transformers {

// What kind of failure an Error is, for code that must carry it across a boundary (the process-worker
// protocol, later HTTP status codes) without knowing every class. The numbers are part of the worker
// protocol: never renumber, only add.
enum class ErrorCode : uint8_t {
  error = 0, model_load = 1, invalid_input = 2, disposed = 3, budget_exceeded = 4, protocol = 5,
  worker_crashed = 6, queue_full = 7, worker_terminated = 8, batcher_stopped = 10,
};
const char* to_string(ErrorCode code);  // "model_load", ...

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
  virtual ErrorCode code() const noexcept { return ErrorCode::error; }
};

// A model folder, file, config or graph could not be loaded (names the path or field).
class ModelLoadError : public Error {
 public:
  using Error::Error;
  ErrorCode code() const noexcept override { return ErrorCode::model_load; }
};

// Bad input from the caller: wrong option, unknown task, mistyped tensor, invalid text.
class InvalidInputError : public Error {
 public:
  using Error::Error;
  ErrorCode code() const noexcept override { return ErrorCode::invalid_input; }
};

// Something was used after dispose().
class DisposedError : public Error {
 public:
  using Error::Error;
  ErrorCode code() const noexcept override { return ErrorCode::disposed; }
};

// A load that does not fit the memory budget (states requested and available bytes).
class BudgetExceededError : public Error {
 public:
  using Error::Error;
  ErrorCode code() const noexcept override { return ErrorCode::budget_exceeded; }
};

}  // namespace transformers
