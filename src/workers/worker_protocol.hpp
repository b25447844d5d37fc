// The process worker's wire protocol (docs/workers-process.md): length-prefixed binary frames over a
// Unix stream socket, little-endian, with explicit limits. A payload larger than the sender's threshold
// travels in a sealed memfd passed with SCM_RIGHTS; the frame then carries no inline bytes.
// Everything that decodes bytes from the other side throws ProtocolError, never crashes, and never
// allocates more than the limits below.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "transformers/worker.hpp"

namespace transformers::workers::protocol {

inline constexpr uint32_t kMagic = 0x4B574654;  // "TFWK" as little-endian bytes
// 2: results carry the truncated inputs; 3: options and results in the task codec, text pairs; 4: chats,
// streamed generation (stream_chunk, cancel)
inline constexpr uint16_t kVersion = 4;
inline constexpr size_t kHeaderSize = 24;
// Inline payloads are bounded so a bad length can never make the receiver allocate much.
inline constexpr uint32_t kMaxInlinePayload = 64u << 20;
// A shared-memory payload is mapped, not allocated, but it is still bounded.
inline constexpr uint64_t kMaxSharedPayload = 1ull << 30;
inline constexpr uint32_t kMaxFdsQueued = 8;  // descriptors received ahead of their frames

enum class MessageType : uint16_t {
  hello = 1,           // host -> child: settings; child -> host: its version and pid
  load = 2,            // key -> done(loaded now)
  unload = 3,          // key -> done(was loaded)
  call = 4,            // WorkerCall -> result
  result = 5,          // an Output
  error = 6,           // an error kind and message
  memory_request = 7,  // -> memory_report
  memory_report = 8,   // the child's MemoryReport
  ping = 9,            // -> pong (answered even while a call runs)
  pong = 10,
  terminate = 11,      // finish queued work, dispose, answer bye, exit 0
  bye = 12,
  done = 13,           // load/unload answer: a flag and the number of pipelines held
  stream_chunk = 14,   // child -> host, for a call in flight: a StreamChunk (the call's result follows)
  cancel = 15,         // host -> child: stop generating for this call (its stream callback said stop)
};
const char* to_string(MessageType type);

enum FrameFlags : uint16_t { kPayloadInMemfd = 1 };

struct FrameHeader {
  uint32_t magic = kMagic;
  uint16_t version = kVersion;
  MessageType type = MessageType::ping;
  uint16_t flags = 0;
  uint16_t reserved = 0;
  uint32_t payload_length = 0;  // inline bytes, or bytes in the memfd when kPayloadInMemfd
  uint64_t request_id = 0;
};

// Encodes a header to its 24 bytes; decodes and validates one (magic, version, type, flags, limits).
void encode_header(const FrameHeader& header, unsigned char out[kHeaderSize]);
FrameHeader decode_header(const unsigned char in[kHeaderSize]);

// A read-only mapping of a received memfd (unmapped and closed when destroyed).
class SharedPayload {
 public:
  // Takes ownership of fd; checks it is sealed against shrinking and holds at least `length` bytes.
  SharedPayload(int fd, uint64_t length);
  SharedPayload(SharedPayload&&) noexcept;
  SharedPayload& operator=(SharedPayload&&) noexcept;
  ~SharedPayload();
  std::span<const unsigned char> bytes() const { return {static_cast<const unsigned char*>(data_), length_}; }

 private:
  int fd_ = -1;
  void* data_ = nullptr;
  uint64_t length_ = 0;
};

// Creates a sealed memfd holding `bytes` (close it after sending). Throws Error on failure.
int make_shared_payload(std::span<const unsigned char> bytes);

struct Frame {
  FrameHeader header;
  std::string inline_payload;
  std::optional<SharedPayload> shared;
  std::span<const unsigned char> payload() const {
    if (shared) return shared->bytes();
    return {reinterpret_cast<const unsigned char*>(inline_payload.data()), inline_payload.size()};
  }
};

// Incremental frame decoder: feed it bytes (and received descriptors) as they arrive, take frames out.
class FrameDecoder {
 public:
  FrameDecoder() = default;
  FrameDecoder(const FrameDecoder&) = delete;
  FrameDecoder& operator=(const FrameDecoder&) = delete;
  ~FrameDecoder();
  void feed(const void* data, size_t size);
  void add_fd(int fd);  // takes ownership
  // The next complete frame, or nullopt if more bytes are needed. Throws ProtocolError.
  std::optional<Frame> next();
  // The peer closed: ProtocolError if a frame was cut short.
  void finish() const;
  size_t buffered() const { return buffer_.size() - start_; }

 private:
  std::string buffer_;
  size_t start_ = 0;
  std::optional<FrameHeader> header_;
  std::deque<int> fds_;
};

// ---- Payload codec ----

class Writer {
 public:
  void u8(uint8_t v) { bytes_.push_back(static_cast<char>(v)); }
  void u16(uint16_t v);
  void u32(uint32_t v);
  void u64(uint64_t v);
  void i32(int32_t v) { u32(static_cast<uint32_t>(v)); }
  void i64(int64_t v) { u64(static_cast<uint64_t>(v)); }
  void f32(float v);
  void str(std::string_view v);
  void raw(const void* data, size_t size) { bytes_.append(static_cast<const char*>(data), size); }
  std::string& bytes() { return bytes_; }

 private:
  std::string bytes_;
};

class Reader {
 public:
  explicit Reader(std::span<const unsigned char> bytes, const char* what) : bytes_(bytes), what_(what) {}
  uint8_t u8();
  uint16_t u16();
  uint32_t u32();
  uint64_t u64();
  int32_t i32() { return static_cast<int32_t>(u32()); }
  int64_t i64() { return static_cast<int64_t>(u64()); }
  float f32();
  bool boolean();
  std::string str();
  // A count of items each at least min_item_bytes long: refused if the rest cannot hold them.
  size_t count(size_t min_item_bytes);
  std::span<const unsigned char> take(size_t size);
  size_t remaining() const { return bytes_.size() - pos_; }
  void expect_end() const;  // trailing bytes are a protocol error
  [[noreturn]] void fail(const std::string& why) const;

 private:
  std::span<const unsigned char> bytes_;
  size_t pos_ = 0;
  const char* what_;
};

// Error kinds, so the host rethrows the child's error with its own type.
// On the wire: an ErrorCode's number, or `other` (9) for an exception that is not a transformers::Error.
enum class ErrorKind : uint8_t {
  error = 0, model_load = 1, invalid_input = 2, disposed = 3, budget_exceeded = 4, protocol = 5,
  worker_crashed = 6, queue_full = 7, worker_terminated = 8, other = 9, batcher_stopped = 10,
};
ErrorKind error_kind_of(const std::exception& e);
[[noreturn]] void throw_error(ErrorKind kind, const std::string& message);

struct Hello {
  uint16_t version = kVersion;
  int32_t pid = 0;                       // child -> host
  int32_t intra_op_threads = 0;          // host -> child
  uint64_t shm_threshold = 256u << 10;   // host -> child: payloads above it go through a memfd
  std::optional<ReleasePolicy> release_policy;
  std::string name;
};

struct PipelineKey {
  std::string task;
  std::string model;
  PipelineOptions options;
};

struct ErrorMessage {
  ErrorKind kind = ErrorKind::error;
  std::string message;
};

struct Done {
  bool flag = false;
  uint32_t pipelines = 0;
};

struct CallResult {
  uint32_t pipelines = 0;
  Output output{Tensor{}};
};

std::string encode_hello(const Hello& h);
Hello decode_hello(std::span<const unsigned char> bytes);
void write_pipeline_options(Writer& w, const PipelineOptions& o);
PipelineOptions read_pipeline_options(Reader& r);
std::string encode_key(const PipelineKey& k);
PipelineKey decode_key(std::span<const unsigned char> bytes);
std::string encode_call(const WorkerCall& c);  // on_text travels as a flag: the child streams back
std::string encode_stream_chunk(const StreamChunk& c);
StreamChunk decode_stream_chunk(std::span<const unsigned char> bytes);
WorkerCall decode_call(std::span<const unsigned char> bytes);
std::string encode_result(const CallResult& r);
CallResult decode_result(std::span<const unsigned char> bytes);
std::string encode_error(const ErrorMessage& e);
ErrorMessage decode_error(std::span<const unsigned char> bytes);
std::string encode_done(const Done& d);
Done decode_done(std::span<const unsigned char> bytes);
std::string encode_memory_report(const MemoryReport& m);
MemoryReport decode_memory_report(std::span<const unsigned char> bytes);

// ---- Transport over a connected Unix stream socket ----

// Sends one frame (retrying partial writes, no SIGPIPE). A payload longer than shm_threshold goes
// through a memfd. Throws WorkerCrashedError if the peer is gone, ProtocolError if it is too large.
void send_frame(int fd, MessageType type, uint64_t request_id, std::string_view payload,
                size_t shm_threshold = SIZE_MAX);
// Reads what the socket has (blocking until something arrives) into the decoder, with any passed
// descriptors. Returns false at end of stream. Throws WorkerCrashedError on a reset connection.
bool receive_some(int fd, FrameDecoder& decoder);

}  // namespace transformers::workers::protocol
