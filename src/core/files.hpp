// Reading whole files with errors that name the path.
#pragma once

#include <filesystem>
#include <string>

namespace transformers::core {

// Throws ModelLoadError("<what> not found: <path>") or a read error naming the path.
std::string read_text_file(const std::filesystem::path& path, const char* what = "file");

// "12.3 MiB", "512 B": sizes for people.
std::string human_bytes(uint64_t bytes);

}  // namespace transformers::core
