// Runs a function to completion on a thread whose stack we map ourselves and unmap afterwards, for callees
// whose stack depth grows with their input (ONNX Runtime's environment creation, see engine/runtime.cpp).
#pragma once

#include <cstddef>
#include <functional>

namespace transformers::core {

// Calls f on a new thread with a stack of at least `stack_bytes` (plus a guard page) and waits for it.
// An exception thrown by f is rethrown here. The stack is unmapped before returning, so its touched pages
// go back to the OS (glibc would keep a thread stack of up to 40 MiB cached). Throws std::runtime_error,
// naming the size, when the stack cannot be mapped (an address-space limit) or the thread cannot start.
void run_with_stack(size_t stack_bytes, const std::function<void()>& f);

}  // namespace transformers::core
