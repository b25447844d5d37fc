// An allocation refused at any point of a call, a load or a worker call (the allocator's fault injection,
// memory/fault_injection.hpp) fails that operation with a clear error, leaks none of our allocator's
// memory, and leaves the process usable: the next call gives the right answer. Swept over every
// allocation the operation makes.
#include <gtest/gtest.h>

#include <cstdlib>

#include "memory/fault_injection.hpp"
#include "test_support.hpp"
#include "transformers/transformers.hpp"

using namespace transformers;

namespace {
const auto kModel = fixtures::model("tiny-bert-sentiment");
const char* const kText = "A thoroughly enjoyable film.";

// Allocations `f` makes through our allocator.
template <class F>
uint64_t allocations_of(F&& f) {
  const uint64_t before = allocator_stats().allocations;
  f();
  return allocator_stats().allocations - before;
}

struct Disarm {
  ~Disarm() { memory::inject_allocation_fault(0); }
};
}  // namespace

TEST(FaultInjection, ARefusalAtEveryAllocationOfACallFailsOnlyThatCall) {
  Disarm disarm;
  Pipeline p = pipeline("text-classification", kModel);
  const std::string want = p(kText).to_json();
  const uint64_t n = allocations_of([&] { p(kText); });
  ASSERT_GT(n, 0u);
  const uint64_t in_use = allocator_stats().in_use;
  size_t failed = 0;
  for (uint64_t k = 1; k <= n; ++k) {
    memory::inject_allocation_fault(k);
    try {
      // A refusal ONNX Runtime absorbs (it has another way) may still give the answer, and then the right one.
      EXPECT_EQ(p(kText).to_json(), want) << "fault at allocation " << k;
    } catch (const BudgetExceededError& e) {
      ++failed;
      EXPECT_NE(std::string(e.what()).find("injected fault"), std::string::npos) << e.what();
    }
    memory::inject_allocation_fault(0);
    EXPECT_EQ(allocator_stats().in_use, in_use) << "fault at allocation " << k << " left blocks in use";
    EXPECT_EQ(p(kText).to_json(), want) << "after a fault at allocation " << k;
  }
  EXPECT_GT(failed, 0u) << "no injected fault made the call fail: the sweep tested nothing";
  std::printf("[ sweep    ] %zu of %llu allocations of one call, refused, failed it cleanly\n", failed,
              static_cast<unsigned long long>(n));
}

TEST(FaultInjection, ARefusalAtEveryAllocationOfALoadFailsOnlyThatLoad) {
  Disarm disarm;
  const std::string want = pipeline("text-classification", kModel)(kText).to_json();
  const uint64_t in_use = allocator_stats().in_use;
  const uint64_t n = allocations_of([&] { pipeline("text-classification", kModel); });
  ASSERT_GT(n, 0u);
  size_t failed = 0;
  for (uint64_t k = 1; k <= n; ++k) {
    memory::inject_allocation_fault(k);
    try {
      Pipeline p = pipeline("text-classification", kModel);
      memory::inject_allocation_fault(0);
      EXPECT_EQ(p(kText).to_json(), want) << "fault at allocation " << k;
    } catch (const BudgetExceededError& e) {
      ++failed;
      EXPECT_NE(std::string(e.what()).find("injected fault"), std::string::npos) << e.what();
    }
    memory::inject_allocation_fault(0);
    EXPECT_EQ(allocator_stats().in_use, in_use) << "a load failed at allocation " << k << " left blocks in use";
  }
  EXPECT_GT(failed, 0u);
  EXPECT_EQ(pipeline("text-classification", kModel)(kText).to_json(), want);
  std::printf("[ sweep    ] %zu of %llu allocations of a load, refused, failed it cleanly\n", failed,
              static_cast<unsigned long long>(n));
}

TEST(FaultInjection, AThreadWorkerCallFailsCleanlyAndTheWorkerGoesOn) {
  Disarm disarm;
  auto worker = make_worker();
  WorkerCall call;
  call.task = "text-classification";
  call.model = kModel;
  call.inputs = {kText};
  const std::string want = worker->submit(call).get().to_json();
  const uint64_t n = allocations_of([&] { worker->submit(call).get(); });
  size_t failed = 0;
  for (uint64_t k = 1; k <= n; ++k) {
    memory::inject_allocation_fault(k);
    try {
      EXPECT_EQ(worker->submit(call).get().to_json(), want);
    } catch (const BudgetExceededError&) {
      ++failed;
    }
    memory::inject_allocation_fault(0);
    EXPECT_EQ(worker->submit(call).get().to_json(), want) << "after a fault at allocation " << k;
  }
  EXPECT_GT(failed, 0u);
  EXPECT_TRUE(worker->alive());
}

// In a process worker the child arms the fault from its environment: its first call's nth allocation
// after start-up is refused; that call arrives as BudgetExceededError, the child lives on and answers.
TEST(FaultInjection, AProcessWorkerCallFailsCleanlyAndTheChildGoesOn) {
  WorkerOptions o;
  o.kind = WorkerKind::process;
  o.executable = TRANSFORMERS_CLI_PATH;
  WorkerCall call;
  call.task = "text-classification";
  call.model = kModel;
  call.inputs = {kText};
  const std::string want = pipeline("text-classification", kModel)(kText).to_json();
  size_t failed = 0;
  for (const char* nth : {"1", "5", "40", "200", "1000"}) {  // from the load's first allocations to the call's
    setenv("TRANSFORMERS_INJECT_ALLOCATION_FAULT", nth, 1);
    auto worker = make_worker(o);
    unsetenv("TRANSFORMERS_INJECT_ALLOCATION_FAULT");
    try {
      EXPECT_EQ(worker->submit(call).get().to_json(), want) << nth;
    } catch (const BudgetExceededError& e) {
      ++failed;
      EXPECT_NE(std::string(e.what()).find("injected fault"), std::string::npos) << e.what();
    }
    EXPECT_TRUE(worker->alive()) << nth;
    EXPECT_EQ(worker->submit(call).get().to_json(), want) << "after a fault at allocation " << nth;
    worker->terminate();
  }
  EXPECT_GT(failed, 0u);
}
