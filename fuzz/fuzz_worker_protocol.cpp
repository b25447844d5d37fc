// Every decoder of the process-worker protocol on the fuzzed bytes (the first byte picks the message):
// what a broken or hostile peer sends must be a ProtocolError, never a crash or an unbounded allocation.
#include <cstddef>
#include <cstdint>
#include <span>

#include "transformers/error.hpp"
#include "workers/worker_protocol.hpp"

namespace proto = transformers::workers::protocol;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::span<const unsigned char> body(data + 1, size - 1);
  try {
    switch (data[0] % 8) {
      case 0:
        if (size >= 1 + proto::kHeaderSize) (void)proto::decode_header(data + 1);
        break;
      case 1: (void)proto::decode_hello(body); break;
      case 2: (void)proto::decode_key(body); break;
      case 3: (void)proto::decode_call(body); break;
      case 4: (void)proto::decode_result(body); break;
      case 5: (void)proto::decode_error(body); break;
      case 6: (void)proto::decode_done(body); break;
      case 7: (void)proto::decode_memory_report(body); break;
    }
  } catch (const transformers::Error&) {
  }
  return 0;
}
