// What the operating system sees of this process's memory (Linux /proc).
#pragma once

#include <cstdint>

namespace transformers {

struct ProcessMemory {
  uint64_t rss = 0;        // VmRSS, bytes
  uint64_t rss_anon = 0;   // RssAnon: private heap, stacks, anonymous mmaps
  uint64_t rss_file = 0;   // RssFile: file-backed pages (libraries, mapped weights)
  uint64_t rss_shmem = 0;  // RssShmem
  uint64_t pss = 0;        // Pss from smaps_rollup (0 where unavailable)
  uint64_t vm_hwm = 0;     // VmHWM: peak RSS
};

// Reads /proc/self/status and /proc/self/smaps_rollup. Never throws; missing fields stay 0.
ProcessMemory process_memory();

// Returns freed C-heap pages to the OS (glibc malloc_trim). Returns true if memory was released.
bool trim_heap();

}  // namespace transformers
