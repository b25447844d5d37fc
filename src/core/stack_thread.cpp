#include "core/stack_thread.hpp"

#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <exception>
#include <stdexcept>
#include <string>

namespace transformers::core {

namespace {
struct Job {
  const std::function<void()>* f;
  std::exception_ptr error;
};

void* trampoline(void* arg) {
  auto* job = static_cast<Job*>(arg);
  try {
    (*job->f)();
  } catch (...) {
    job->error = std::current_exception();
  }
  return nullptr;
}

std::string mib(size_t bytes) { return std::to_string((bytes + (1u << 20) - 1) >> 20) + " MiB"; }
}  // namespace

void run_with_stack(size_t stack_bytes, const std::function<void()>& f) {
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  const size_t size = (stack_bytes + page - 1) / page * page + page;  // + the guard page at the low end
  // MAP_NORESERVE: only the pages the callee touches cost memory.
  void* base = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
  if (base == MAP_FAILED) {
    throw std::runtime_error("cannot map a " + mib(size) + " thread stack: " + std::strerror(errno));
  }
  mprotect(base, page, PROT_NONE);  // an overflow faults here instead of writing below the mapping
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstack(&attr, base, size);
  Job job{&f, nullptr};
  pthread_t thread;
  const int rc = pthread_create(&thread, &attr, trampoline, &job);
  pthread_attr_destroy(&attr);
  if (rc != 0) {
    munmap(base, size);
    throw std::runtime_error("cannot start a thread with a " + mib(size) + " stack: " + std::strerror(rc));
  }
  pthread_join(thread, nullptr);
  munmap(base, size);
  if (job.error) std::rethrow_exception(job.error);
}

}  // namespace transformers::core
