// What every test binary shares: where the committed fixtures are, and how to read an error's message.
#pragma once

#include <filesystem>
#include <functional>
#include <string>

namespace transformers::fixtures {

inline std::filesystem::path root() { return TRANSFORMERS_FIXTURES_DIR; }
inline std::filesystem::path model(const char* name) { return root() / "models" / name; }

// The message of the E that f throws, or "(no exception)"; any other exception propagates (and fails).
template <class E>
std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  return "(no exception)";
}

}  // namespace transformers::fixtures
