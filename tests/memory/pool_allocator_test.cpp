// The pool itself: alignment, per-owner accounting across threads, peaks, consistent totals under stress.
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <deque>
#include <mutex>
#include <random>
#include <thread>

#include "memory/pool_allocator.hpp"

using namespace transformers;
using memory::PoolAllocator;

namespace {
// Charges allocations on this thread to `owner` while alive (what engine::MemoryScope does).
struct Scope {
  uint64_t previous = memory::current_owner();
  explicit Scope(uint64_t owner) { memory::set_current_owner(owner); }
  ~Scope() { memory::set_current_owner(previous); }
};
}  // namespace

TEST(PoolAllocator, ServesAlignedBlocksOfEverySize) {
  PoolAllocator pool;
  std::vector<std::pair<void*, size_t>> blocks;
  for (size_t size : {1ul, 63ul, 64ul, 65ul, 1000ul, 4096ul, 40000ul, 65535ul, 65536ul, 1ul << 20, 3000001ul}) {
    void* p = pool.allocate(size);
    ASSERT_NE(p, nullptr) << size;
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % memory::kAlignment, 0u) << size;
    EXPECT_GE(pool.block_size(p), size);
    std::memset(p, 0xab, size);
    blocks.emplace_back(p, size);
  }
  EXPECT_EQ(pool.allocate(0), nullptr);
  const AllocatorStats s = pool.stats();
  EXPECT_EQ(s.allocations, blocks.size());
  EXPECT_EQ(s.large_allocations, 3u);  // 65536 and up, with the default 64 KiB threshold
  EXPECT_GE(s.reserved, s.in_use);
  for (auto [p, size] : blocks) {
    EXPECT_EQ(static_cast<unsigned char*>(p)[size - 1], 0xab);  // no overlap with another block
    pool.deallocate(p);
  }
  EXPECT_EQ(pool.stats().in_use, 0u);
  EXPECT_EQ(pool.stats().live_blocks, 0u);
}

TEST(PoolAllocator, ReserveIsCountedApart) {
  PoolAllocator pool;
  void* a = pool.reserve(1000);
  void* b = pool.allocate(1000);
  EXPECT_EQ(pool.stats().reserves, 1u);
  EXPECT_EQ(pool.stats().allocations, 2u);
  pool.deallocate(a);
  pool.deallocate(b);
}

TEST(PoolAllocator, ChargesTheAllocatingOwnerEvenWhenAnotherThreadFrees) {
  PoolAllocator pool;
  const uint64_t a = pool.register_owner("a", std::nullopt);
  const uint64_t b = pool.register_owner("b", std::nullopt);
  void* big = nullptr;
  void* small = nullptr;
  std::thread([&] {
    Scope s(a);
    big = pool.allocate(1u << 20);
    small = pool.allocate(100);
  }).join();
  void* other = nullptr;
  {
    Scope s(b);
    other = pool.allocate(5000);
  }
  EXPECT_EQ(pool.owner(a).in_use, (1u << 20) + 128u);  // 100 bytes -> the 128-byte class
  EXPECT_EQ(pool.owner(a).allocations, 2u);
  EXPECT_EQ(pool.owner(b).in_use, pool.block_size(other));
  EXPECT_EQ(pool.owner(0).in_use, 0u);
  {
    Scope s(b);  // the freeing thread's owner does not matter
    std::thread([&] {
      pool.deallocate(big);
      pool.deallocate(small);
    }).join();
  }
  EXPECT_EQ(pool.owner(a).in_use, 0u);
  EXPECT_EQ(pool.owner(a).live_blocks, 0u);
  EXPECT_EQ(pool.owner(b).in_use, pool.block_size(other));
  pool.deallocate(other);
  EXPECT_EQ(pool.stats().in_use, 0u);
  EXPECT_EQ(pool.owner(a).name, "a");
}

TEST(PoolAllocator, TracksPeaksPerOwnerAndInTotal) {
  PoolAllocator pool;
  const uint64_t a = pool.register_owner("a", std::nullopt);
  Scope s(a);
  void* p1 = pool.allocate(4u << 20);
  void* p2 = pool.allocate(2u << 20);
  pool.deallocate(p1);
  void* p3 = pool.allocate(1u << 20);
  EXPECT_EQ(pool.owner(a).in_use, 3u << 20);
  EXPECT_EQ(pool.owner(a).peak_in_use, 6u << 20);
  EXPECT_EQ(pool.stats().peak_in_use, 6u << 20);
  pool.deallocate(p2);
  pool.deallocate(p3);
  EXPECT_EQ(pool.owner(a).in_use, 0u);
  EXPECT_EQ(pool.owner(a).peak_in_use, 6u << 20);
}

TEST(PoolAllocator, UnregisteredOwnerRowGoesWithItsLastBlock) {
  PoolAllocator pool;
  const uint64_t a = pool.register_owner("a", std::nullopt);
  void* p = nullptr;
  {
    Scope s(a);
    p = pool.allocate(1000);
  }
  pool.unregister_owner(a);
  EXPECT_EQ(pool.owner(a).in_use, pool.block_size(p));  // still accounted while held
  EXPECT_FALSE(pool.owner(a).registered);
  pool.deallocate(p);
  EXPECT_EQ(pool.owner(a).name, "");  // forgotten
  EXPECT_EQ(pool.owners().size(), 1u);  // only "unattributed"
}

// Several threads allocate and free (often each other's blocks); the totals must add up exactly.
TEST(PoolAllocator, ConcurrentStressKeepsTotalsConsistent) {
  PoolAllocator pool;
  AllocatorOptions o;
  o.policy = ReleasePolicy::deferred(5);  // exercise the cache and the reaper too
  pool.set_options(o);
  constexpr int kThreads = 4, kOps = 20000;
  std::vector<uint64_t> ids;
  for (int t = 0; t < kThreads; ++t) ids.push_back(pool.register_owner("t" + std::to_string(t), std::nullopt));
  std::mutex shared_mu;
  std::deque<std::pair<void*, size_t>> shared;  // blocks any thread may free
  std::atomic<bool> corrupt{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Scope s(ids[t]);
      std::mt19937 rng(t + 1);
      std::vector<std::pair<void*, size_t>> mine;
      for (int i = 0; i < kOps; ++i) {
        const int r = static_cast<int>(rng() % 100);
        if (r < 55) {
          const size_t size = (rng() % 8 == 0) ? 64u * 1024 + rng() % (512u * 1024) : 1 + rng() % 20000;
          auto* p = static_cast<unsigned char*>(pool.allocate(size));
          p[0] = p[size - 1] = static_cast<unsigned char>(t);
          if (rng() % 2) {
            std::lock_guard l(shared_mu);
            shared.emplace_back(p, size);
          } else {
            mine.emplace_back(p, size);
          }
        } else {
          std::pair<void*, size_t> victim{nullptr, 0};
          if (r < 80 && !mine.empty()) {
            victim = mine.back();
            mine.pop_back();
          } else {
            std::lock_guard l(shared_mu);
            if (!shared.empty()) {
              victim = shared.front();
              shared.pop_front();
            }
          }
          if (victim.first) {
            auto* p = static_cast<unsigned char*>(victim.first);
            if (p[0] != p[victim.second - 1]) corrupt = true;
            pool.deallocate(p);
          }
        }
      }
      for (auto [p, size] : mine) pool.deallocate(p);
    });
  }
  for (auto& th : threads) th.join();
  uint64_t owners_in_use = 0;
  for (auto id : ids) owners_in_use += pool.owner(id).in_use;
  AllocatorStats s = pool.stats();
  EXPECT_EQ(s.in_use, owners_in_use);
  EXPECT_EQ(s.live_blocks, shared.size());
  for (auto [p, size] : shared) pool.deallocate(p);
  EXPECT_FALSE(corrupt);
  s = pool.stats();
  EXPECT_EQ(s.in_use, 0u);
  EXPECT_EQ(s.live_blocks, 0u);
  EXPECT_EQ(s.allocations, s.frees);
  uint64_t allocations = 0;
  for (auto id : ids) {
    EXPECT_EQ(pool.owner(id).in_use, 0u);
    allocations += pool.owner(id).allocations;
  }
  EXPECT_EQ(allocations, s.allocations);
  EXPECT_GT(s.cache_hits, 0u);
  pool.release_unused();
  EXPECT_EQ(pool.stats().reserved, 0u);
}
