#include "engine/model_weights.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <set>

#include "engine/onnx_protobuf.hpp"
#include "engine/optimized_cache.hpp"
#include "engine/weights_sidecar.hpp"
#include "memory/mapped_file.hpp"
#include "transformers/error.hpp"

namespace transformers::engine {

namespace fs = std::filesystem;

namespace {

struct SharedMapping {
  memory::MappedFile file;
  int sessions = 0;  // guarded by registry().mu
};

// A file ONNX Runtime maps itself (an optimized-model cache entry's data), counted for the memory report.
struct OrtMapped {
  fs::path path;
  uint64_t bytes = 0;
  int sessions = 0;
};

struct Registry {
  std::mutex mu;
  std::map<std::string, std::weak_ptr<SharedMapping>> files;  // key: path + identity of the file
  std::map<std::string, OrtMapped> ort_files;                 // key: path
  std::string last_fallback;
};
Registry& registry() {
  static Registry* r = new Registry;  // never destroyed: sessions may outlive static destruction
  return *r;
}

// What a session holds: its share of every mapping it reads, and the tensors over them.
struct Lease {
  std::vector<std::shared_ptr<SharedMapping>> maps;
  std::vector<std::string> names;
  std::vector<Ort::Value> values;  // non-owning CPU tensors over the mapped bytes
  ~Lease() {
    std::lock_guard lock(registry().mu);
    for (auto& m : maps) --m->sessions;
  }
};

// One mapping per file per process. The key includes inode, size and mtime so that a file
// replaced under the same name is mapped afresh rather than served from a stale mapping.
std::shared_ptr<SharedMapping> acquire(const fs::path& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) throw ModelLoadError("cannot stat external weights " + file.string());
  const std::string key = fs::weakly_canonical(file).string() + "|" + std::to_string(st.st_dev) + ":" +
                          std::to_string(st.st_ino) + ":" + std::to_string(st.st_size) + ":" +
                          std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
  Registry& r = registry();
  std::lock_guard lock(r.mu);
  for (auto it = r.files.begin(); it != r.files.end();) it = it->second.expired() ? r.files.erase(it) : std::next(it);
  if (auto live = r.files[key].lock()) return live;
  auto m = std::make_shared<SharedMapping>();
  m->file = memory::MappedFile(file);
  // Initializers are read in no particular order; ask the kernel to start reading them in now.
  m->file.advise(memory::MappedFile::Advice::will_need);
  r.files[key] = m;
  return m;
}

uint64_t parse_u64(const std::string& s, const fs::path& model) {
  try {
    size_t used = 0;
    const uint64_t v = std::stoull(s, &used);
    if (used == s.size()) return v;
  } catch (const std::exception&) {
  }
  throw ModelLoadError("bad external_data offset/length '" + s + "' in " + model.string());
}

// Maps every external file `onnx_path` refers to (one shared mapping per file) and hands each
// external initializer to ONNX Runtime as a tensor over the mapped bytes.
//
// Why AddInitializer: it is the only way measured to keep ZERO copies with ONNX Runtime 1.29.
// ORT uses a user-supplied OrtValue as the initializer instead of deserializing the model's, and
// the buffer stays ours (it must outlive the session: the Lease does). The alternatives both copy:
// AddExternalInitializersFromFilesInMemory (names = sidecar file name, buffers = the mapping)
// left +505 MiB of private memory after loading the BERT-base-sized model with prepacking off,
// the same as plain loading (+423 MiB) plus more; AddExternalInitializers is documented to copy
// the data into the graph. Numbers in docs/memory-weights.md.
PreparedModel serve_external(const fs::path& onnx_path, const onnx::ModelScan& scan, const fs::path& model_file) {
  struct Ref {
    const onnx::Initializer* t;
    std::string location;
    uint64_t offset, length;
  };
  std::vector<Ref> refs;
  std::map<std::string, uint64_t> extent;  // location -> bytes needed
  for (const auto& t : scan.initializers) {
    if (!t.external) continue;
    Ref r{&t, "", 0, 0};
    for (const auto& [k, v] : t.external_data) {
      if (k == "location") r.location = v;
      if (k == "offset") r.offset = parse_u64(v, model_file);
      if (k == "length") r.length = parse_u64(v, model_file);
    }
    if (r.location.empty()) {
      throw ModelLoadError("initializer '" + t.name + "' of " + model_file.string() +
                           " has external data without a location");
    }
    if (r.location.rfind("*/_ORT_MEM_ADDR_/*", 0) == 0) continue;
    uint64_t count = 1;
    for (int64_t d : t.dims) count *= static_cast<uint64_t>(std::max<int64_t>(d, 0));
    const uint64_t want = count * onnx::element_size(t.data_type);
    if (onnx::element_size(t.data_type) == 0) continue;  // left to ONNX Runtime (reads the file itself)
    if (r.length == 0) r.length = want;
    if (r.length != want) {
      throw ModelLoadError("initializer '" + t.name + "' of " + model_file.string() + " has " +
                           std::to_string(r.length) + " bytes of external data, its shape needs " +
                           std::to_string(want));
    }
    uint64_t& e = extent[r.location];
    e = std::max(e, r.offset + r.length);
    refs.push_back(std::move(r));
  }
  auto lease = std::make_shared<Lease>();
  PreparedModel m;
  m.path = onnx_path;
  std::map<std::string, const SharedMapping*> by_location;
  for (const auto& [location, needed] : extent) {
    const fs::path file = onnx_path.parent_path() / location;
    auto map = acquire(file);
    if (map->file.size() < needed) {
      throw ModelLoadError("external weights " + file.string() + " of " + model_file.string() + " hold " +
                           std::to_string(map->file.size()) + " bytes, the graph needs " + std::to_string(needed));
    }
    {
      std::lock_guard lock(registry().mu);
      ++map->sessions;
    }
    by_location[location] = map.get();
    m.mapped_bytes += map->file.size();
    lease->maps.push_back(std::move(map));
  }
  const auto cpu = Ort::MemoryInfo::CreateCpu(OrtDeviceAllocator, OrtMemTypeDefault);
  for (const auto& r : refs) {
    auto* bytes = const_cast<std::byte*>(by_location[r.location]->file.data()) + r.offset;
    lease->names.push_back(r.t->name);
    // ONNXTensorElementDataType uses TensorProto.DataType's numbering.
    lease->values.push_back(Ort::Value::CreateTensor(cpu, bytes, r.length, r.t->dims.data(), r.t->dims.size(),
                                                     static_cast<ONNXTensorElementDataType>(r.t->data_type)));
  }
  m.keep_alive = lease;
  if (!refs.empty()) {
    m.attach = [l = lease.get()](Ort::SessionOptions& so) {
      for (size_t i = 0; i < l->names.size(); ++i) so.AddInitializer(l->names[i].c_str(), l->values[i]);
    };
  }
  return m;
}

// A session's share of a file ONNX Runtime maps.
struct OrtLease {
  std::string key;
  ~OrtLease() {
    std::lock_guard lock(registry().mu);
    auto it = registry().ort_files.find(key);
    if (it != registry().ort_files.end() && --it->second.sessions <= 0) registry().ort_files.erase(it);
  }
};

std::shared_ptr<OrtLease> lease_ort_mapped(const fs::path& file, uint64_t bytes) {
  auto lease = std::make_shared<OrtLease>();
  lease->key = file.string();
  std::lock_guard lock(registry().mu);
  OrtMapped& m = registry().ort_files[lease->key];
  m.path = file;
  m.bytes = bytes;
  ++m.sessions;
  return lease;
}

void record_fallback(const std::string& why) {
  std::lock_guard lock(registry().mu);
  registry().last_fallback = why;
}

fs::path cache_dir_of(const SessionOptions& options) {
  return options.weights_cache_dir.empty() ? sidecar::default_cache_dir() : options.weights_cache_dir;
}

// The entry's model, or (cache unwritable) the original file loaded plainly with the reason recorded.
PreparedModel serve_optimized(const optimized::Entry& entry, const fs::path& model_file, const SessionOptions& options) {
  if (optimized::complete(entry)) {
    optimized::touch(entry);  // its last use, for least-recently-used eviction
  } else {
    // Checked before an entry is written (never on a warm load): a graph ONNX Runtime's saved prepacked
    // weights would crash at run time loads as ONNX Runtime loads it, packing on the heap.
    std::vector<std::string> shared;
    std::string control_flow;
    try {
      memory::MappedFile model(model_file);
      shared = onnx::prepacked_shared_initializers(model.bytes());
      control_flow = onnx::control_flow_op(model.bytes());
    } catch (const std::exception&) {
      // Unreadable or malformed: ONNX Runtime's own load below names the problem.
    }
    if (!control_flow.empty()) {
      record_fallback(model_file.string() + " has a '" + control_flow + "' node (subgraphs), which ONNX Runtime "
                      "cannot load back from its saved optimized model; loaded without the optimized-model cache "
                      "(prepacked weights on the heap)");
      return PreparedModel{model_file, nullptr, nullptr, 0};
    }
    if (!shared.empty()) {
      record_fallback("the initializer '" + shared.front() + "' of " + model_file.string() +
                      " is shared by a MatMul/Gemm and another node (tied weights), which ONNX Runtime's saved "
                      "prepacked weights cannot serve; loaded without the optimized-model cache (prepacked "
                      "weights on the heap)");
      return PreparedModel{model_file, nullptr, nullptr, 0};
    }
    try {
      optimized::build(entry, model_file, options.optimization);
      if (const uint64_t limit = weights_cache_limit()) prune_weights_cache(limit, entry.dir.parent_path());
    } catch (const optimized::CacheUnwritable& e) {
      record_fallback(std::string(e.what()) + "; loaded " + model_file.string() +
                      " without the optimized-model cache (prepacked weights on the heap)");
      return PreparedModel{model_file, nullptr, nullptr, 0};
    }
  }
  std::error_code ec;
  const uint64_t data = fs::exists(entry.data, ec) ? fs::file_size(entry.data, ec) : 0;
  PreparedModel m{entry.onnx, data ? lease_ort_mapped(entry.data, data) : nullptr, nullptr, data};
  m.from_optimized_cache = true;
  m.rebuild = [entry, model_file, options] {
    optimized::remove(entry);
    PreparedModel again = serve_optimized(entry, model_file, options);
    again.rebuild = nullptr;  // once: a second refusal is the model's own error
    return again;
  };
  return m;
}

PreparedModel prepare_optimized(const fs::path& model_file, const SessionOptions& options) {
  optimized::Entry entry;
  try {
    entry = optimized::entry_for(model_file, cache_dir_of(options), options.optimization);
  } catch (const fs::filesystem_error& e) {
    throw ModelLoadError("cannot load ONNX model " + model_file.string() + ": " + e.what());
  }
  return serve_optimized(entry, model_file, options);
}

onnx::ModelScan scan_file(const memory::MappedFile& f, const fs::path& shown) {
  try {
    return onnx::scan_model(f.bytes());
  } catch (const onnx::WireError& e) {
    throw ModelLoadError("cannot load ONNX model " + shown.string() + ": not a valid ModelProto (" + e.what() + ")");
  }
}

PreparedModel prepare_file_backed(const fs::path& model_file, const SessionOptions& options) {
  const fs::path cache = cache_dir_of(options);
  sidecar::Entry entry;
  try {
    entry = sidecar::entry_for(model_file, cache);
  } catch (const fs::filesystem_error& e) {
    throw ModelLoadError("cannot load ONNX model " + model_file.string() + ": " + e.what());
  }
  std::error_code ec;
  if (fs::is_regular_file(entry.onnx, ec) && fs::is_regular_file(entry.weights, ec)) {
    try {
      memory::MappedFile small(entry.onnx);
      PreparedModel m = serve_external(entry.onnx, onnx::scan_model(small.bytes()), model_file);
      // The last use, for eviction: on the small graph, not the mapped .weights, whose identity (mtime
      // included) keys the shared mapping.
      fs::last_write_time(entry.onnx, fs::file_time_type::clock::now(), ec);
      return m;
    } catch (const std::exception&) {
      // A damaged cache entry (truncated sidecar, bad graph): written again below.
    }
  }
  memory::MappedFile model(model_file);
  model.advise(memory::MappedFile::Advice::sequential);
  const onnx::ModelScan scan = scan_file(model, model_file);
  if (scan.has_external_data) return serve_external(model_file, scan, model_file);
  try {
    if (!sidecar::write(entry, model.bytes(), scan)) return PreparedModel{model_file, nullptr, nullptr, 0};
  } catch (const sidecar::CacheUnwritable& e) {
    std::lock_guard lock(registry().mu);
    registry().last_fallback = std::string(e.what()) + "; loaded " + model_file.string() + " without file-backed weights";
    return PreparedModel{model_file, nullptr, nullptr, 0};
  }
  memory::MappedFile small(entry.onnx);
  return serve_external(entry.onnx, scan_file(small, entry.onnx), model_file);
}

}  // namespace

PreparedModel prepare_model(const fs::path& model_file, const SessionOptions& options) {
  // File-backed and prepacked (the default): the optimized-model cache. File-backed without prepacking:
  // the aligned sidecar. Neither: ONNX Runtime reads the file itself.
  if (options.file_backed_weights && options.prepack_weights) return prepare_optimized(model_file, options);
  PreparedModel m = options.file_backed_weights ? prepare_file_backed(model_file, options)
                                                : PreparedModel{model_file, nullptr, nullptr, 0};
  if (!options.prepack_weights) {
    // Prepacked MatMul weights are private copies; without them every weight stays file-backed.
    m.attach = [inner = std::move(m.attach)](Ort::SessionOptions& so) {
      if (inner) inner(so);
      so.AddConfigEntry("session.disable_prepacking", "1");
    };
  }
  return m;
}

std::vector<MappedWeights> mapped_weights() {
  std::vector<MappedWeights> out;
  Registry& r = registry();
  std::lock_guard lock(r.mu);
  for (const auto& [key, weak] : r.files) {
    if (auto m = weak.lock()) out.push_back({m->file.path(), m->file.size(), m->sessions});
  }
  for (const auto& [key, m] : r.ort_files) out.push_back({m.path, m.bytes, m.sessions});
  return out;
}

uint64_t mapped_weights_bytes() {
  uint64_t n = 0;
  for (const auto& m : mapped_weights()) n += m.bytes;
  return n;
}

std::string last_weights_fallback() {
  std::lock_guard lock(registry().mu);
  return registry().last_fallback;
}

}  // namespace transformers::engine
