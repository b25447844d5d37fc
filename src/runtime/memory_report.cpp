#include "transformers/memory_report.hpp"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "engine/model_weights.hpp"
#include "generation/cache_accounting.hpp"
#include "pipelines/live_pipelines.hpp"

namespace transformers {

MemoryReport memory_report() {
  MemoryReport r;
  r.process = process_memory();
  r.allocator = allocator_stats();
  for (const auto& m : engine::mapped_weights()) {
    r.mapped_weights.push_back({m.path, m.bytes, m.sessions});
    r.mapped_weights_bytes += m.bytes;
  }
  for (const auto& p : live_pipelines::snapshot()) {
    const OwnerMemory o = owner_memory(p.owner);
    const generation::CacheFigures c = generation::cache_figures(p.owner);
    r.pipelines.push_back({p.owner, p.task, p.model, p.dtype, p.onnx_file, o.in_use, o.peak_in_use, o.allocations,
                           c.bytes, c.peak_bytes, c.bytes_per_token});
  }
  r.unattributed_in_use = owner_memory(0).in_use;
  return r;
}

std::string MemoryReport::to_json() const {
  nlohmann::ordered_json j;
  j["process"] = {{"rss", process.rss},         {"rss_anon", process.rss_anon}, {"rss_file", process.rss_file},
                  {"rss_shmem", process.rss_shmem}, {"pss", process.pss},       {"vm_hwm", process.vm_hwm}};
  j["allocator"] = {{"reserved", allocator.reserved},     {"in_use", allocator.in_use},
                    {"peak_in_use", allocator.peak_in_use}, {"cached", allocator.cached},
                    {"allocations", allocator.allocations}, {"os_maps", allocator.os_maps},
                    {"os_unmaps", allocator.os_unmaps},     {"unattributed_in_use", unattributed_in_use}};
  j["mapped_weights_bytes"] = mapped_weights_bytes;
  j["mapped_weights"] = nlohmann::ordered_json::array();
  for (const auto& m : mapped_weights)
    j["mapped_weights"].push_back({{"file", m.file.string()}, {"bytes", m.bytes}, {"sessions", m.sessions}});
  j["pipelines"] = nlohmann::ordered_json::array();
  for (const auto& p : pipelines) {
    j["pipelines"].push_back({{"owner", p.owner},
                              {"task", p.task},
                              {"model", p.model.string()},
                              {"dtype", p.dtype},
                              {"onnx_file", p.onnx_file.string()},
                              {"in_use", p.in_use},
                              {"peak_in_use", p.peak_in_use},
                              {"allocations", p.allocations},
                              {"kv_cache_bytes", p.kv_cache_bytes},
                              {"kv_cache_peak_bytes", p.kv_cache_peak_bytes},
                              {"kv_cache_bytes_per_token", p.kv_cache_bytes_per_token}});
  }
  // Paths are bytes: one that is not UTF-8 is written with U+FFFD instead of failing the report.
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

namespace {
std::string mib(uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%9.1f", static_cast<double>(bytes) / (1024.0 * 1024.0));
  return buf;
}
}  // namespace

std::string MemoryReport::to_table() const {
  std::string s;
  s += "process (what the OS sees)          MiB\n";
  s += "  RSS                         " + mib(process.rss) + "\n";
  s += "    anonymous (heap, arenas)  " + mib(process.rss_anon) + "\n";
  s += "    file-backed (weights, .so)" + mib(process.rss_file) + "\n";
  s += "  PSS                         " + mib(process.pss) + "\n";
  s += "  peak RSS                    " + mib(process.vm_hwm) + "\n";
  s += "our allocator\n";
  s += "  reserved from the OS        " + mib(allocator.reserved) + "\n";
  s += "  in use                      " + mib(allocator.in_use) + "\n";
  s += "  cached for reuse            " + mib(allocator.cached) + "\n";
  s += "  peak in use                 " + mib(allocator.peak_in_use) + "\n";
  s += "  outside any pipeline        " + mib(unattributed_in_use) + "\n";
  s += "mapped weights                " + mib(mapped_weights_bytes) + "\n";
  for (const auto& m : mapped_weights) {
    s += "  " + mib(m.bytes) + "  " + std::to_string(m.sessions) + " session(s)  " + m.file.filename().string() + "\n";
  }
  s += "pipelines (" + std::to_string(pipelines.size()) + ")                in use MiB   peak MiB\n";
  for (const auto& p : pipelines) {
    s += "  " + p.task + " " + p.model.filename().string() + " (" + p.dtype + ")  " + mib(p.in_use) + "  " +
         mib(p.peak_in_use) + "\n";
    if (p.kv_cache_peak_bytes)
      s += "    key/value cache now " + mib(p.kv_cache_bytes) + ", peak " + mib(p.kv_cache_peak_bytes) + " MiB, " +
           std::to_string(p.kv_cache_bytes_per_token) + " bytes per token\n";
  }
  return s;
}

}  // namespace transformers
