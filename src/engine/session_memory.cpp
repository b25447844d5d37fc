// ONNX Runtime <-> our allocator: the OrtAllocator adapter, its registration, per-session settings.
#include "engine/session_memory.hpp"

#include <new>

#include "memory/pool_allocator.hpp"

namespace transformers::engine {

namespace {

// ONNX Runtime 1.29 does not check a custom allocator's result for null (it crashes in a memcpy), so a
// refused allocation throws instead: ONNX Runtime's API boundary turns it into an error status.
void* checked(void* p, size_t size) {
  if (!p && size) throw std::bad_alloc();
  return p;
}
void* ORT_API_CALL pool_alloc(OrtAllocator*, size_t size) { return checked(memory::pool().allocate(size), size); }
void* ORT_API_CALL pool_reserve(OrtAllocator*, size_t size) { return checked(memory::pool().reserve(size), size); }
void ORT_API_CALL pool_free(OrtAllocator*, void* p) { memory::pool().deallocate(p); }
const OrtMemoryInfo* ORT_API_CALL pool_info(const OrtAllocator*);
OrtStatus* ORT_API_CALL pool_shrink(OrtAllocator*) noexcept {
  memory::pool().release_unused();
  return nullptr;
}

// "Cpu" / device allocator / default memory type: the slot ONNX Runtime's own CPU allocator has.
const OrtMemoryInfo* cpu_info() {
  static OrtMemoryInfo* info = [] {
    OrtMemoryInfo* i = nullptr;
    Ort::ThrowOnError(Ort::GetApi().CreateMemoryInfo("Cpu", OrtDeviceAllocator, 0, OrtMemTypeDefault, &i));
    return i;  // leaked on purpose: the environment (also leaked) refers to it
  }();
  return info;
}
const OrtMemoryInfo* ORT_API_CALL pool_info(const OrtAllocator*) { return cpu_info(); }

OrtAllocator* ort_allocator() {
  static OrtAllocator* a = [] {
    auto* x = new OrtAllocator{};  // zeroed: optional entries (GetStats, AllocOnStream) stay null
    x->version = ORT_API_VERSION;
    x->Alloc = pool_alloc;
    x->Free = pool_free;
    x->Info = pool_info;
    x->Reserve = pool_reserve;
    x->Shrink = pool_shrink;
    return x;
  }();
  return a;
}

}  // namespace

void configure_session_memory(Ort::SessionOptions& so, const SessionOptions&) {
  if (!memory::pool().options().enabled) return;
  so.AddConfigEntry("session.use_env_allocators", "1");
  so.DisableCpuMemArena();
}

void register_env_allocator(Ort::Env& env) { env.RegisterAllocator(ort_allocator()); }

MemoryScope::MemoryScope(uint64_t owner) : previous_(memory::current_owner()) { memory::set_current_owner(owner); }
MemoryScope::~MemoryScope() { memory::set_current_owner(previous_); }

}  // namespace transformers::engine
