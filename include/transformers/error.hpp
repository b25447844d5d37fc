// Error hierarchy of the public API: every failure the library reports is a transformers::Error.
#pragma once

#include <stdexcept>
#include <string>

namespace transformers {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A model folder, file, config or graph could not be loaded (names the path or field).
class ModelLoadError : public Error {
 public:
  using Error::Error;
};

// Bad input from the caller: wrong option, unknown task, mistyped tensor, invalid text.
class InvalidInputError : public Error {
 public:
  using Error::Error;
};

// Something was used after dispose().
class DisposedError : public Error {
 public:
  using Error::Error;
};

// A load that does not fit the memory budget (states requested and available bytes).
class BudgetExceededError : public Error {
 public:
  using Error::Error;
};

}  // namespace transformers
