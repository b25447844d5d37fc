#include "server/api_error.hpp"

#include <algorithm>

#include "transformers/error.hpp"

namespace transformers::server {

ApiError api_error_of(const std::exception& e) {
  if (const auto* api = dynamic_cast<const ApiError*>(&e)) return *api;
  if (const auto* err = dynamic_cast<const Error*>(&e)) {
    const ErrorCode code = err->code();
    int status = 500;
    switch (code) {
      case ErrorCode::invalid_input: status = 400; break;
      case ErrorCode::budget_exceeded: status = 507; break;
      case ErrorCode::queue_full: status = 429; break;
      case ErrorCode::worker_crashed:
      case ErrorCode::worker_terminated:
      case ErrorCode::batcher_stopped:
      case ErrorCode::disposed: status = 503; break;
      default: status = 500;
    }
    return ApiError(status, to_string(code), e.what());
  }
  if (dynamic_cast<const std::bad_alloc*>(&e)) return ApiError(507, "out_of_memory", "out of memory");
  return ApiError(500, "internal", e.what());
}

HttpResponse json_response(const nlohmann::json& body, int status) {
  return json_text_response(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), status);
}

HttpResponse json_text_response(std::string body, int status) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

HttpResponse error_response(const ApiError& e) {
  return json_response({{"error", {{"code", e.code()}, {"message", e.what()}}}}, e.status());
}

size_t json_nesting_depth(std::string_view text) {
  size_t depth = 0, deepest = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

nlohmann::json json_body(const HttpRequest& request) {
  // Deeply nested values are refused before parsing: copying or destroying one recurses once per level, and
  // an 8 MB body of '[' would overflow a handler thread's stack (and each deep request leaves its stack pages
  // resident).
  if (const size_t depth = json_nesting_depth(request.body); depth > kMaxJsonDepth) {
    throw ApiError(400, "invalid_input", "the request body nests " + std::to_string(depth) + " levels deep; at most " +
                                             std::to_string(kMaxJsonDepth) + " are accepted");
  }
  nlohmann::json body;
  try {
    body = nlohmann::json::parse(request.body);
  } catch (const nlohmann::json::exception& e) {
    throw ApiError(400, "invalid_json", std::string("the request body is not JSON: ") + e.what());
  }
  if (!body.is_object()) throw ApiError(400, "invalid_input", "the request body must be a JSON object");
  return body;
}

}  // namespace transformers::server
