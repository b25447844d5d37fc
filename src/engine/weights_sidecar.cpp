#include "engine/weights_sidecar.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "core/hash.hpp"

namespace transformers::engine::sidecar {

namespace fs = std::filesystem;

namespace {

using core::fnv1a;
using core::hex;

std::string unwritable(const fs::path& p, int err) {
  return "cannot write the weights cache " + p.string() + ": " + std::strerror(err);
}

// A temporary file next to `final_path`, renamed over it by commit(); removed if never committed.
class TempFile {
 public:
  explicit TempFile(const fs::path& final_path) : final_(final_path) {
    static std::atomic<unsigned> counter{0};
    tmp_ = final_path;
    tmp_ += ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
    fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) throw CacheUnwritable(unwritable(tmp_, errno));
  }
  ~TempFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) ::unlink(tmp_.c_str());
  }
  void truncate(uint64_t size) {
    if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) throw CacheUnwritable(unwritable(tmp_, errno));
  }
  void write_at(uint64_t offset, const void* data, size_t n) {
    const char* p = static_cast<const char*>(data);
    while (n > 0) {
      const ssize_t w = ::pwrite(fd_, p, n, static_cast<off_t>(offset));
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) throw CacheUnwritable(unwritable(tmp_, w < 0 ? errno : ENOSPC));
      p += w;
      n -= static_cast<size_t>(w);
      offset += static_cast<uint64_t>(w);
    }
  }
  // Durable before visible: a crash never leaves a renamed file with missing data.
  void commit() {
    if (::fdatasync(fd_) != 0) throw CacheUnwritable(unwritable(tmp_, errno));
    ::close(fd_);
    fd_ = -1;
    if (::rename(tmp_.c_str(), final_.c_str()) != 0) throw CacheUnwritable(unwritable(final_, errno));
    committed_ = true;
  }

 private:
  fs::path final_, tmp_;
  int fd_ = -1;
  bool committed_ = false;
};

std::string prefix_of(const fs::path& model_abs) {
  return model_abs.stem().string() + "-" + hex(fnv1a(model_abs.string()), 16) + "-";
}

}  // namespace

fs::path default_cache_dir() {
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return fs::path(x) / "transformers-cpp" / "weights";
  if (const char* h = std::getenv("HOME"); h && *h) return fs::path(h) / ".cache" / "transformers-cpp" / "weights";
  return fs::temp_directory_path() / "transformers-cpp" / "weights";
}

Entry entry_for(const fs::path& model_file, const fs::path& cache_dir) {
  const fs::path abs = fs::weakly_canonical(fs::absolute(model_file));
  struct stat st {};
  if (::stat(abs.c_str(), &st) != 0) {
    throw fs::filesystem_error("cannot stat model", abs, std::error_code(errno, std::generic_category()));
  }
  const std::string version = std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) + "." +
                              std::to_string(st.st_mtim.tv_nsec) + ":" + std::to_string(st.st_ino) + ":" +
                              std::to_string(st.st_dev);
  const std::string name = prefix_of(abs) + hex(fnv1a(version), 16);
  return {cache_dir / (name + ".onnx"), cache_dir / (name + ".weights")};
}

uint64_t aligned_offset(uint64_t offset, uint64_t length) {
  const uint64_t a = length >= 64 * 1024 ? 4096 : 64;
  return (offset + a - 1) / a * a;
}

bool write(const Entry& entry, std::span<const std::byte> model, const onnx::ModelScan& scan) {
  // Layout first: which tensors move, and where.
  std::vector<std::optional<onnx::ExternalRef>> refs(scan.initializers.size());
  const std::string location = entry.weights.filename().string();
  uint64_t end = 0;
  for (size_t i = 0; i < scan.initializers.size(); ++i) {
    const auto& t = scan.initializers[i];
    if (!t.data_field || t.data.size() < kMinExternalBytes) continue;
    const uint64_t at = aligned_offset(end, t.data.size());
    refs[i] = onnx::ExternalRef{location, at, t.data.size()};
    end = at + t.data.size();
  }
  if (end == 0) return false;

  const fs::path dir = entry.weights.parent_path();
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw CacheUnwritable("cannot create the weights cache folder " + dir.string() + ": " + ec.message());

  {
    TempFile weights(entry.weights);
    weights.truncate(end);  // gaps read as zeros
    for (size_t i = 0; i < refs.size(); ++i) {
      if (refs[i]) weights.write_at(refs[i]->offset, scan.initializers[i].data.data(), scan.initializers[i].data.size());
    }
    weights.commit();
  }
  const std::string small = onnx::rewrite_model(model, scan, [&](size_t i) { return refs[i]; });
  {
    TempFile onnx(entry.onnx);
    onnx.write_at(0, small.data(), small.size());
    onnx.commit();
  }

  // Older entries of the same model path (the model changed since): unlinking is safe for
  // processes that still map them; they keep the old inode until they unmap.
  const std::string prefix = entry.onnx.stem().string().substr(0, entry.onnx.stem().string().size() - 16);
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string n = e.path().filename().string();
    if (n.rfind(prefix, 0) != 0 || e.path().stem() == entry.onnx.stem()) continue;
    if (n.find(".tmp.") != std::string::npos) continue;  // another process's write in flight
    fs::remove(e.path(), ec);
  }
  return true;
}

}  // namespace transformers::engine::sidecar
