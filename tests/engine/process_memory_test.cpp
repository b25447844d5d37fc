#include <gtest/gtest.h>

#include <cstring>
#include <sys/mman.h>

#include "transformers/memory.hpp"

using namespace transformers;

TEST(ProcessMemory, ReadsProcFigures) {
  const ProcessMemory m = process_memory();
  EXPECT_GT(m.rss, 0u);
  EXPECT_GT(m.rss_anon, 0u);
  EXPECT_GT(m.rss_file, 0u);
  EXPECT_GE(m.vm_hwm, m.rss);
  EXPECT_NEAR(static_cast<double>(m.rss), static_cast<double>(m.rss_anon + m.rss_file + m.rss_shmem),
              4.0 * 1024 * 1024);
}

TEST(ProcessMemory, SeesAnonymousMemoryComeAndGo) {
  const size_t size = 64u << 20;
  const ProcessMemory before = process_memory();
  void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(p, MAP_FAILED);
  std::memset(p, 1, size);
  const ProcessMemory touched = process_memory();
  munmap(p, size);
  const ProcessMemory after = process_memory();
  EXPECT_GT(touched.rss_anon, before.rss_anon + size - (4u << 20));
  EXPECT_LT(after.rss_anon, touched.rss_anon - size + (4u << 20));
}
