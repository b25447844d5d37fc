#include "transformers/error.hpp"

namespace transformers {

const char* to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::error: return "error";
    case ErrorCode::model_load: return "model_load";
    case ErrorCode::invalid_input: return "invalid_input";
    case ErrorCode::disposed: return "disposed";
    case ErrorCode::budget_exceeded: return "budget_exceeded";
    case ErrorCode::protocol: return "protocol";
    case ErrorCode::worker_crashed: return "worker_crashed";
    case ErrorCode::queue_full: return "queue_full";
    case ErrorCode::worker_terminated: return "worker_terminated";
    case ErrorCode::batcher_stopped: return "batcher_stopped";
  }
  return "error";
}

}  // namespace transformers
