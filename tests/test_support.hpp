// What every test binary shares: where the committed fixtures are, and how to read an error's message.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <initializer_list>
#include <string>

#include "transformers/error.hpp"

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

// Expects f to throw a ModelLoadError whose message holds every fragment (names the file, component, field).
template <class F>
void expect_load_error(F&& f, std::initializer_list<std::string> fragments) {
  try {
    f();
    ADD_FAILURE() << "no ModelLoadError thrown";
  } catch (const ModelLoadError& e) {
    const std::string msg = e.what();
    for (const auto& frag : fragments) EXPECT_NE(msg.find(frag), std::string::npos) << "'" << frag << "' not in: " << msg;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong exception: " << e.what();
  }
}

}  // namespace transformers::fixtures
