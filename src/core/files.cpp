#include "core/files.hpp"

#include <cstdio>
#include <fstream>
#include <sstream>

#include "transformers/error.hpp"

namespace transformers::core {

std::string read_text_file(const std::filesystem::path& path, const char* what) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    throw ModelLoadError(std::string(what) + " not found: " + path.string());
  }
  if (std::filesystem::is_directory(path, ec)) {
    throw ModelLoadError(std::string(what) + " is a directory, expected a file: " + path.string());
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ModelLoadError("cannot open " + std::string(what) + ": " + path.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw ModelLoadError("cannot read " + std::string(what) + ": " + path.string());
  return std::move(ss).str();
}

std::string human_bytes(uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024.0 && u < 4) {
    v /= 1024.0;
    ++u;
  }
  char buf[32];
  if (u == 0) std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(bytes));
  else std::snprintf(buf, sizeof buf, "%.1f %s", v, units[u]);
  return buf;
}

}  // namespace transformers::core
