// Fault injection for tests (internal): the pool allocator refuses the nth allocation from now on (once),
// or every nth, exactly as it refuses one over its limit — counted in AllocatorStats::refused, reported as
// BudgetExceededError by the inference or load that asked. Lets a test sweep a failure over every
// allocation of a call, a load or a worker call and check that each fails cleanly and leaks nothing.
// A process worker's child arms it from TRANSFORMERS_INJECT_ALLOCATION_FAULT=N or N/every at start-up.
#pragma once

#include <cstdint>

namespace transformers::memory {

// nth >= 1 arms (counting allocations from this call on); 0 disarms.
void inject_allocation_fault(uint64_t nth, bool every = false);
// Allocations refused by injection so far.
uint64_t injected_allocation_faults();

}  // namespace transformers::memory
