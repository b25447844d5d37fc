// Every error the server answers with: an HTTP status and a JSON body {"error": {"code", "message"}},
// and the one mapping from the library's errors to statuses.
#pragma once

#include <exception>
#include <stdexcept>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "server/http_server.hpp"

namespace transformers::server {

class ApiError : public std::runtime_error {
 public:
  ApiError(int status, std::string code, const std::string& message)
      : std::runtime_error(message), status_(status), code_(std::move(code)) {}
  int status() const { return status_; }
  const std::string& code() const { return code_; }

 private:
  int status_;
  std::string code_;
};

// The status a library error answers with: invalid input 400, budget exceeded 507, queue full 429, a
// crashed or stopped worker 503, a model that cannot load 500, anything else 500. Codes are the library's
// (ErrorCode names) or the server's own (not_found, unauthorized, ...).
ApiError api_error_of(const std::exception& e);
HttpResponse error_response(const ApiError& e);
HttpResponse json_response(const nlohmann::json& body, int status = 200);
HttpResponse json_text_response(std::string body, int status = 200);  // already JSON text
// How deeply arrays and objects nest in a JSON text (strings skipped), without parsing it.
size_t json_nesting_depth(std::string_view text);
inline constexpr size_t kMaxJsonDepth = 64;
// The request body as a JSON object; ApiError 400 naming what is wrong (not JSON, not an object, nested
// deeper than kMaxJsonDepth).
nlohmann::json json_body(const HttpRequest& request);

}  // namespace transformers::server
