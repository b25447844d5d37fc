#include "engine/optimized_cache.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

#include "core/cpu_features.hpp"
#include "core/hash.hpp"
#include "engine/runtime.hpp"
#include "transformers/memory.hpp"
#include "transformers/error.hpp"

namespace transformers::engine::optimized {

namespace fs = std::filesystem;

namespace {
// Changes when what this code writes changes: entries of another format are never read.
// opt2: graphs with tied prepacked weights are no longer written (they crashed ONNX Runtime).
constexpr const char* kFormat = "opt2";

std::string identity(const fs::path& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) {
    throw fs::filesystem_error("cannot stat model", file, std::error_code(errno, std::generic_category()));
  }
  return std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) + "." +
         std::to_string(st.st_mtim.tv_nsec) + ":" + std::to_string(st.st_ino) + ":" + std::to_string(st.st_dev);
}

// The model's external-data files (Optimum and Transformers.js name them model.onnx_data, model.onnx.data,
// or model.onnx_data_N): a change in one is a change of the model.
std::string external_identities(const fs::path& model_abs) {
  std::string s;
  std::error_code ec;
  const std::string stem = model_abs.filename().string();
  for (const auto& e : fs::directory_iterator(model_abs.parent_path(), ec)) {
    const std::string name = e.path().filename().string();
    if (name != stem && name.rfind(stem, 0) == 0 && name.find("data") != std::string::npos)
      s += name + "=" + identity(e.path()) + ";";
  }
  return s;
}

const char* level_name(GraphOptimization level) {
  switch (level) {
    case GraphOptimization::disabled: return "disabled";
    case GraphOptimization::basic: return "basic";
    case GraphOptimization::extended: return "extended";
    case GraphOptimization::all: return "all";
  }
  return "all";
}

uint64_t size_or_zero(const fs::path& p) {
  std::error_code ec;
  const auto n = fs::file_size(p, ec);
  return ec ? 0 : n;
}

void sync_file(const fs::path& p) {
  const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  ::fdatasync(fd);
  ::close(fd);
}

std::string prefix_of(const fs::path& model_abs) {
  return model_abs.stem().string() + "-" + core::hex(core::fnv1a(model_abs.string()), 16) + "-";
}
}  // namespace

std::string entry_name(const fs::path& model_file, GraphOptimization level, const std::string& ort_version,
                       const std::string& cpu_key) {
  const fs::path abs = fs::weakly_canonical(fs::absolute(model_file));
  const std::string key = std::string(kFormat) + "|" + identity(abs) + "|" + external_identities(abs) + "|" +
                          ort_version + "|" + level_name(level) + "|" + cpu_key;
  return prefix_of(abs) + core::hex(core::fnv1a(key), 16);
}

Entry entry_for(const fs::path& model_file, const fs::path& cache_dir, GraphOptimization level) {
  Entry e;
  e.name = entry_name(model_file, level, onnxruntime_version(), core::cpu_feature_key());
  e.dir = cache_dir / (e.name + ".opt");
  e.onnx = e.dir / "model.onnx";
  e.data = e.dir / "model.onnx.data";
  return e;
}

bool complete(const Entry& entry) {
  std::ifstream in(entry.dir / "manifest");
  uint64_t onnx = 0, data = 0;
  std::string format;
  if (!(in >> format >> onnx >> data) || format != kFormat) return false;
  std::error_code ec;
  return fs::is_regular_file(entry.onnx, ec) && size_or_zero(entry.onnx) == onnx && size_or_zero(entry.data) == data;
}

void touch(const Entry& entry) {
  std::error_code ec;
  fs::last_write_time(entry.dir / "manifest", fs::file_time_type::clock::now(), ec);  // best effort
}

void remove(const Entry& entry) {
  std::error_code ec;
  fs::remove_all(entry.dir, ec);
}

double build(const Entry& entry, const fs::path& model_file, GraphOptimization level) {
  const auto start = std::chrono::steady_clock::now();
  const fs::path cache_dir = entry.dir.parent_path();
  std::error_code ec;
  fs::create_directories(cache_dir, ec);
  if (ec) throw CacheUnwritable("cannot create the model cache " + cache_dir.string() + ": " + ec.message());
  std::random_device rd;
  const fs::path tmp = cache_dir / (entry.name + ".tmp-" + std::to_string(::getpid()) + "-" + core::hex(rd(), 8));
  if (!fs::create_directory(tmp, ec) || ec) {
    throw CacheUnwritable("cannot write the model cache " + cache_dir.string() + ": " +
                          (ec ? ec.message() : std::string("folder exists")));
  }
  struct Cleanup {
    fs::path dir;
    ~Cleanup() {
      std::error_code e;
      if (!dir.empty()) fs::remove_all(dir, e);
    }
  } cleanup{tmp};
  try {
    Ort::SessionOptions so;
    so.SetGraphOptimizationLevel(to_onnx_level(level));
    so.SetIntraOpNumThreads(1);
    so.SetOptimizedModelFilePath((tmp / "model.onnx").c_str());
    so.AddConfigEntry("session.optimized_model_external_initializers_file_name", "model.onnx.data");
    so.AddConfigEntry("session.optimized_model_external_initializers_min_size_in_bytes", "1024");
    so.AddConfigEntry("session.save_external_prepacked_constant_initializers", "1");
    Ort::Session writer(env(), model_file.c_str(), so);
  } catch (const Ort::Exception& e) {
    trim_heap();
    // Loading the model itself failed (a broken file: the caller's plain load will say so), or saving did.
    std::error_code e2;
    if (!fs::exists(tmp / "model.onnx", e2))
      throw CacheUnwritable(std::string("ONNX Runtime could not write the optimized model: ") + e.what());
    throw CacheUnwritable(std::string("ONNX Runtime could not write the optimized model data: ") + e.what());
  }
  // The writer held the whole model and its packed weights on the heap: give those pages back now, not at
  // the next trim (BERT-base-sized: 700 MiB until the process disposed a pipeline).
  trim_heap();
  const uint64_t onnx = size_or_zero(tmp / "model.onnx"), data = size_or_zero(tmp / "model.onnx.data");
  if (onnx == 0) throw CacheUnwritable("ONNX Runtime wrote no optimized model into " + tmp.string());
  sync_file(tmp / "model.onnx");
  sync_file(tmp / "model.onnx.data");
  {
    std::ofstream m(tmp / "manifest");
    m << kFormat << " " << onnx << " " << data << "\n";
    if (!m.flush()) throw CacheUnwritable("cannot write the model cache manifest in " + tmp.string());
  }
  sync_file(tmp / "manifest");
  // A damaged entry of the same name is replaced; a complete one written meanwhile by another process wins.
  if (fs::exists(entry.dir, ec) && !complete(entry)) remove(entry);
  fs::rename(tmp, entry.dir, ec);
  if (!ec) {
    cleanup.dir.clear();
  } else if (!complete(entry)) {
    throw CacheUnwritable("cannot move the model cache entry into " + entry.dir.string() + ": " + ec.message());
  }
  // Older entries of the same model path (the model changed, or ONNX Runtime or the CPU did).
  const std::string prefix = entry.name.substr(0, entry.name.rfind('-') + 1);
  for (const auto& e : fs::directory_iterator(cache_dir, ec)) {
    const std::string n = e.path().filename().string();
    if (n != entry.dir.filename().string() && n.rfind(prefix, 0) == 0 && n.size() > 4 &&
        n.compare(n.size() - 4, 4, ".opt") == 0) {
      std::error_code e2;
      fs::remove_all(e.path(), e2);
    }
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace transformers::engine::optimized
