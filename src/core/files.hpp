// Reading whole files with errors that name the path.
#pragma once

#include <filesystem>
#include <string>

namespace transformers::core {

// Throws ModelLoadError naming the path and what is wrong unless `path` is (or links to) a regular file:
// "not found", "is a directory", "is a FIFO/device/socket" (reading one would block or never end),
// or the system's reason (a symlink loop, no permission).
void require_regular_file(const std::filesystem::path& path, const char* what);
// The same test without throwing: "" when it is a regular file, else the reason as above.
std::string not_a_regular_file(const std::filesystem::path& path);

// Throws ModelLoadError("<what> not found: <path>") (require_regular_file) or a read error naming the path.
std::string read_text_file(const std::filesystem::path& path, const char* what = "file");

// "12.3 MiB", "512 B": sizes for people.
std::string human_bytes(uint64_t bytes);

}  // namespace transformers::core
