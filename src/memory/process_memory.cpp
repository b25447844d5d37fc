#include "transformers/memory.hpp"

#include <malloc.h>

#include <cstdio>
#include <cstring>

namespace transformers {

namespace {
// Reads "Key:   1234 kB" lines from a /proc file into the matching fields.
struct Field {
  const char* key;
  uint64_t* out;
};
void read_kb_fields(const char* path, Field* fields, size_t n) {
  FILE* f = std::fopen(path, "re");
  if (!f) return;
  char line[256];
  while (std::fgets(line, sizeof line, f)) {
    for (size_t i = 0; i < n; ++i) {
      const size_t len = std::strlen(fields[i].key);
      if (std::strncmp(line, fields[i].key, len) == 0 && line[len] == ':') {
        unsigned long long kb = 0;
        if (std::sscanf(line + len + 1, "%llu", &kb) == 1) *fields[i].out = kb * 1024ULL;
      }
    }
  }
  std::fclose(f);
}
}  // namespace

ProcessMemory process_memory() {
  ProcessMemory m;
  Field status[] = {{"VmRSS", &m.rss}, {"RssAnon", &m.rss_anon}, {"RssFile", &m.rss_file},
                    {"RssShmem", &m.rss_shmem}, {"VmHWM", &m.vm_hwm}};
  read_kb_fields("/proc/self/status", status, sizeof status / sizeof status[0]);
  Field rollup[] = {{"Pss", &m.pss}};
  read_kb_fields("/proc/self/smaps_rollup", rollup, 1);
  return m;
}

bool trim_heap() { return malloc_trim(0) != 0; }

}  // namespace transformers
