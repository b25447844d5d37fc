// Where tests find the committed fixtures.
#pragma once

#include <filesystem>

namespace transformers::fixtures {

inline std::filesystem::path root() { return TRANSFORMERS_FIXTURES_DIR; }
inline std::filesystem::path model(const char* name) { return root() / "models" / name; }

}  // namespace transformers::fixtures
