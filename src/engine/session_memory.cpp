#include "engine/session_memory.hpp"

namespace transformers::engine {

namespace {
thread_local uint64_t t_owner = 0;
}

void configure_session_memory(Ort::SessionOptions&, const SessionOptions&) {}

MemoryScope::MemoryScope(uint64_t owner) : previous_(t_owner) { t_owner = owner; }
MemoryScope::~MemoryScope() { t_owner = previous_; }

}  // namespace transformers::engine
