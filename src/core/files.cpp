#include "core/files.hpp"

#include <cstdio>
#include <fstream>
#include <sstream>

#include "transformers/error.hpp"

namespace transformers::core {

std::string not_a_regular_file(const std::filesystem::path& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (ec && ec != std::errc::no_such_file_or_directory) return "cannot be read (" + ec.message() + ")";
  switch (st.type()) {
    case fs::file_type::regular: return "";
    case fs::file_type::not_found: return "not found";
    case fs::file_type::directory: return "is a directory, expected a file";
    case fs::file_type::fifo: return "is a FIFO, expected a regular file";
    case fs::file_type::character:
    case fs::file_type::block: return "is a device, expected a regular file";
    case fs::file_type::socket: return "is a socket, expected a regular file";
    default: return "is not a regular file";
  }
}

void require_regular_file(const std::filesystem::path& path, const char* what) {
  const std::string why = not_a_regular_file(path);
  if (!why.empty()) throw ModelLoadError(std::string(what) + " " + why + ": " + path.string());
}

std::string read_text_file(const std::filesystem::path& path, const char* what) {
  require_regular_file(path, what);
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
