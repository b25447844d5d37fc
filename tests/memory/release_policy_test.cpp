// Release policies, checked against what the OS sees (RssAnon from /proc), never against timing.
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <functional>
#include <thread>

#include "memory/pool_allocator.hpp"
#include "transformers/error.hpp"
#include "transformers/memory.hpp"

using namespace transformers;
using memory::PoolAllocator;

namespace {
constexpr size_t kBig = 64u << 20;
constexpr uint64_t kSlack = 8u << 20;  // other threads, the test framework, page tables

uint64_t anon() { return process_memory().rss_anon; }

PoolAllocator& with_policy(PoolAllocator& pool, ReleasePolicy policy) {
  AllocatorOptions o;
  o.policy = policy;
  pool.set_options(o);
  return pool;
}

// A touched 64 MiB block: RssAnon grows by about its size.
void* touched_big(PoolAllocator& pool) {
  const uint64_t before = anon();
  void* p = pool.allocate(kBig);
  std::memset(p, 1, kBig);
  EXPECT_GT(anon(), before + kBig - kSlack);
  return p;
}

// Waits (bounded) for the reaper; the assertion is on the state reached, not on how long it took.
bool eventually(const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}
}  // namespace

TEST(ReleasePolicy, ParsesAndPrints) {
  EXPECT_EQ(parse_release_policy("immediate"), ReleasePolicy::immediate());
  EXPECT_EQ(parse_release_policy("retain"), ReleasePolicy::retain());
  EXPECT_EQ(parse_release_policy("deferred:250"), ReleasePolicy::deferred(250));
  EXPECT_EQ(to_string(ReleasePolicy::deferred(250)), "deferred:250");
  EXPECT_THROW(parse_release_policy("deferred:"), InvalidInputError);
  EXPECT_THROW(parse_release_policy("deferred:x"), InvalidInputError);
  EXPECT_THROW(parse_release_policy("later"), InvalidInputError);
}

TEST(ReleasePolicy, ImmediateReturnsAFreedBigBlockToTheOs) {
  PoolAllocator pool;
  with_policy(pool, ReleasePolicy::immediate());
  void* p = touched_big(pool);
  const uint64_t touched = anon();
  pool.deallocate(p);
  EXPECT_LT(anon(), touched - kBig + kSlack);
  EXPECT_EQ(pool.stats().reserved, 0u);
}

TEST(ReleasePolicy, DeferredKeepsForReuseByAnyOwnerThenReturnsAfterIdle) {
  PoolAllocator pool;
  with_policy(pool, ReleasePolicy::deferred(300));
  const uint64_t a = pool.register_owner("a", std::nullopt);
  const uint64_t b = pool.register_owner("b", std::nullopt);
  memory::set_current_owner(a);
  void* p = touched_big(pool);
  const uint64_t touched = anon();
  pool.deallocate(p);
  EXPECT_GT(anon(), touched - kSlack);  // kept
  EXPECT_EQ(pool.stats().reserved, kBig);
  EXPECT_EQ(pool.stats().in_use, 0u);

  memory::set_current_owner(b);  // another owner reuses it: no new mapping, no RSS growth
  void* q = pool.allocate(kBig - 5000);
  memory::set_current_owner(0);
  EXPECT_EQ(q, p);
  EXPECT_EQ(pool.stats().cache_hits, 1u);
  EXPECT_EQ(pool.stats().os_maps, 1u);
  EXPECT_EQ(pool.owner(b).in_use, (kBig - 5000 + 4095) / 4096 * 4096);  // charged the pages it asked for
  std::memset(q, 2, kBig);
  EXPECT_LT(anon(), touched + kSlack);
  pool.deallocate(q);

  // Nobody allocates or frees from now on: the background reaper returns it after the idle time.
  ASSERT_TRUE(eventually([&] { return pool.stats().reserved == 0; }));
  EXPECT_LT(anon(), touched - kBig + kSlack);
}

TEST(ReleasePolicy, RetainKeepsUntilReleaseUnused) {
  PoolAllocator pool;
  with_policy(pool, ReleasePolicy::retain());
  void* p = touched_big(pool);
  const uint64_t touched = anon();
  pool.deallocate(p);
  EXPECT_EQ(pool.release_expired(), 0u);
  EXPECT_GT(anon(), touched - kSlack);
  EXPECT_EQ(pool.release_unused(), kBig);
  EXPECT_LT(anon(), touched - kBig + kSlack);
}

TEST(ReleasePolicy, OwnerPolicyOverridesTheRuntimeDefault) {
  PoolAllocator pool;
  with_policy(pool, ReleasePolicy::retain());
  const uint64_t eager = pool.register_owner("eager", ReleasePolicy::immediate());
  const uint64_t keeper = pool.register_owner("keeper", std::nullopt);
  memory::set_current_owner(eager);
  void* e = touched_big(pool);
  memory::set_current_owner(keeper);
  void* k = touched_big(pool);
  memory::set_current_owner(0);
  const uint64_t touched = anon();
  pool.deallocate(e);
  EXPECT_LT(anon(), touched - kBig + kSlack);
  EXPECT_EQ(pool.stats().reserved, kBig);
  pool.deallocate(k);
  EXPECT_EQ(pool.stats().reserved, kBig);  // retained
  pool.set_owner_policy(keeper, ReleasePolicy::immediate());
  EXPECT_EQ(pool.release_unused(), kBig);
}

TEST(ReleasePolicy, ImmediateUnmapsEmptySlabsBeyondASmallSpare) {
  PoolAllocator pool;
  with_policy(pool, ReleasePolicy::immediate());
  std::vector<void*> blocks;
  for (int i = 0; i < 16384; ++i) {  // 16 MiB of 1000-byte blocks (1024-byte class)
    blocks.push_back(pool.allocate(1000));
    std::memset(blocks.back(), 3, 1000);
  }
  EXPECT_GE(pool.stats().reserved, 16u << 20);
  for (void* p : blocks) pool.deallocate(p);
  EXPECT_LE(pool.stats().reserved, 1u << 20);
  pool.release_unused();
  EXPECT_EQ(pool.stats().reserved, 0u);
}

TEST(ReleasePolicy, TrimReturnsCachedBlocksAndReportsThem) {
  const AllocatorOptions saved = allocator_options();
  AllocatorOptions o = saved;
  o.policy = ReleasePolicy::retain();
  configure_allocator(o);
  void* p = memory::pool().allocate(kBig);
  std::memset(p, 1, kBig);
  memory::pool().deallocate(p);
  const TrimReport r = trim();
  configure_allocator(saved);
  EXPECT_GE(r.allocator_bytes, kBig);
  EXPECT_GE(r.released(), kBig);
  EXPECT_GT(r.rss_anon_before, r.rss_anon_after + kBig - kSlack);
}
