// The process worker's frames and payloads (worker_protocol.hpp). Every read is bounds-checked
// against the bytes actually present; counts are checked against what the rest could hold before
// anything is reserved, so hostile lengths cannot make us allocate.
#include "workers/worker_protocol.hpp"

#include "pipelines/task_codec.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <cstring>
#include <limits>
#include <new>

#include "transformers/dynamic_batcher.hpp"
#include "transformers/engine.hpp"

namespace transformers::workers::protocol {

static_assert(std::endian::native == std::endian::little, "the protocol is little-endian; so is this code");

const char* to_string(MessageType type) {
  switch (type) {
    case MessageType::hello: return "hello";
    case MessageType::load: return "load";
    case MessageType::unload: return "unload";
    case MessageType::call: return "call";
    case MessageType::result: return "result";
    case MessageType::error: return "error";
    case MessageType::memory_request: return "memory_request";
    case MessageType::memory_report: return "memory_report";
    case MessageType::ping: return "ping";
    case MessageType::pong: return "pong";
    case MessageType::terminate: return "terminate";
    case MessageType::bye: return "bye";
    case MessageType::done: return "done";
    case MessageType::stream_chunk: return "stream_chunk";
    case MessageType::cancel: return "cancel";
  }
  return "unknown";
}

namespace {
template <class T>
void put(unsigned char* out, T v) {
  std::memcpy(out, &v, sizeof v);
}
template <class T>
T get(const unsigned char* in) {
  T v;
  std::memcpy(&v, in, sizeof v);
  return v;
}
}  // namespace

void encode_header(const FrameHeader& h, unsigned char out[kHeaderSize]) {
  put(out + 0, h.magic);
  put(out + 4, h.version);
  put(out + 6, static_cast<uint16_t>(h.type));
  put(out + 8, h.flags);
  put(out + 10, h.reserved);
  put(out + 12, h.payload_length);
  put(out + 16, h.request_id);
}

FrameHeader decode_header(const unsigned char in[kHeaderSize]) {
  FrameHeader h;
  h.magic = get<uint32_t>(in);
  if (h.magic != kMagic) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "bad frame magic 0x%08x (expected 0x%08x): not a worker protocol stream", h.magic,
                  kMagic);
    throw ProtocolError(buf);
  }
  h.version = get<uint16_t>(in + 4);
  if (h.version != kVersion) {
    throw ProtocolError("unsupported worker protocol version " + std::to_string(h.version) + " (this side speaks " +
                        std::to_string(kVersion) + ")");
  }
  const uint16_t type = get<uint16_t>(in + 6);
  if (type < static_cast<uint16_t>(MessageType::hello) || type > static_cast<uint16_t>(MessageType::cancel))
    throw ProtocolError("unknown frame type " + std::to_string(type));
  h.type = static_cast<MessageType>(type);
  h.flags = get<uint16_t>(in + 8);
  if (h.flags & ~kPayloadInMemfd) throw ProtocolError("unknown frame flags " + std::to_string(h.flags));
  h.reserved = get<uint16_t>(in + 10);
  if (h.reserved != 0) throw ProtocolError("reserved frame field is " + std::to_string(h.reserved) + ", not 0");
  h.payload_length = get<uint32_t>(in + 12);
  const uint64_t limit = (h.flags & kPayloadInMemfd) ? kMaxSharedPayload : kMaxInlinePayload;
  if (h.payload_length > limit) {
    throw ProtocolError(std::string(to_string(h.type)) + " frame declares " + std::to_string(h.payload_length) +
                        " payload bytes, over the limit of " + std::to_string(limit));
  }
  h.request_id = get<uint64_t>(in + 16);
  return h;
}

// ---- Shared memory ----

SharedPayload::SharedPayload(int fd, uint64_t length) : fd_(fd), length_(length) {
  struct stat st {};
  if (fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd_);
    throw ProtocolError("the descriptor passed with a shared-memory frame is not a memory file");
  }
  const int seals = fcntl(fd_, F_GET_SEALS);
  // Unsealed, the sender could shrink the file under our mapping and turn our reads into SIGBUS.
  if (seals < 0 || !(seals & F_SEAL_SHRINK)) {
    ::close(fd_);
    throw ProtocolError("a shared-memory payload was not sealed against shrinking");
  }
  if (static_cast<uint64_t>(st.st_size) < length_) {
    ::close(fd_);
    throw ProtocolError("a shared-memory payload holds " + std::to_string(st.st_size) + " bytes, the frame declares " +
                        std::to_string(length_));
  }
  if (length_ > 0) {
    data_ = mmap(nullptr, length_, PROT_READ, MAP_SHARED, fd_, 0);
    if (data_ == MAP_FAILED) {
      data_ = nullptr;
      ::close(fd_);
      throw ProtocolError("cannot map a shared-memory payload of " + std::to_string(length_) + " bytes: " +
                          std::strerror(errno));
    }
  }
}

SharedPayload::SharedPayload(SharedPayload&& o) noexcept : fd_(o.fd_), data_(o.data_), length_(o.length_) {
  o.fd_ = -1;
  o.data_ = nullptr;
  o.length_ = 0;
}

SharedPayload& SharedPayload::operator=(SharedPayload&& o) noexcept {
  std::swap(fd_, o.fd_);
  std::swap(data_, o.data_);
  std::swap(length_, o.length_);
  return *this;
}

SharedPayload::~SharedPayload() {
  if (data_) munmap(data_, length_);
  if (fd_ >= 0) ::close(fd_);
}

int make_shared_payload(std::span<const unsigned char> bytes) {
  const int fd = memfd_create("transformers-worker-payload", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) throw Error(std::string("memfd_create failed: ") + std::strerror(errno));
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = errno;
      ::close(fd);
      throw Error("cannot fill a shared-memory payload of " + std::to_string(bytes.size()) +
                  " bytes: " + std::strerror(err));
    }
    done += static_cast<size_t>(n);
  }
  if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0) {
    const int err = errno;
    ::close(fd);
    throw Error(std::string("cannot seal a shared-memory payload: ") + std::strerror(err));
  }
  return fd;
}

// ---- Decoder ----

FrameDecoder::~FrameDecoder() {
  for (int fd : fds_) ::close(fd);
}

void FrameDecoder::feed(const void* data, size_t size) {
  if (start_ > 0 && start_ == buffer_.size()) {
    buffer_.clear();
    start_ = 0;
  } else if (start_ > (64u << 10) && start_ * 2 > buffer_.size()) {
    buffer_.erase(0, start_);
    start_ = 0;
  }
  buffer_.append(static_cast<const char*>(data), size);
}

void FrameDecoder::add_fd(int fd) {
  if (fds_.size() >= kMaxFdsQueued) {
    ::close(fd);
    throw ProtocolError("more than " + std::to_string(kMaxFdsQueued) + " descriptors received ahead of their frames");
  }
  fds_.push_back(fd);
}

std::optional<Frame> FrameDecoder::next() {
  const auto* base = reinterpret_cast<const unsigned char*>(buffer_.data());
  if (!header_) {
    if (buffered() < kHeaderSize) return std::nullopt;
    header_ = decode_header(base + start_);
    start_ += kHeaderSize;
  }
  Frame frame;
  frame.header = *header_;
  if (header_->flags & kPayloadInMemfd) {
    if (fds_.empty()) {
      throw ProtocolError(std::string(to_string(header_->type)) +
                          " frame says its payload is in shared memory but no descriptor came with it");
    }
    const int fd = fds_.front();
    fds_.pop_front();
    header_.reset();
    frame.shared.emplace(fd, frame.header.payload_length);
    return frame;
  }
  if (buffered() < header_->payload_length) return std::nullopt;
  frame.inline_payload.assign(buffer_, start_, header_->payload_length);
  start_ += header_->payload_length;
  header_.reset();
  return frame;
}

void FrameDecoder::finish() const {
  if (header_) {
    throw ProtocolError("connection closed in the middle of a " + std::string(to_string(header_->type)) +
                        " frame (" + std::to_string(buffered()) + " of " + std::to_string(header_->payload_length) +
                        " payload bytes)");
  }
  if (buffered() > 0) {
    throw ProtocolError("connection closed in the middle of a frame header (" + std::to_string(buffered()) + " of " +
                        std::to_string(kHeaderSize) + " bytes)");
  }
}

// ---- Writer / Reader ----

void Writer::u16(uint16_t v) { raw(&v, sizeof v); }
void Writer::u32(uint32_t v) { raw(&v, sizeof v); }
void Writer::u64(uint64_t v) { raw(&v, sizeof v); }
void Writer::f32(float v) { raw(&v, sizeof v); }
void Writer::str(std::string_view v) {
  u32(static_cast<uint32_t>(v.size()));
  raw(v.data(), v.size());
}

void Reader::fail(const std::string& why) const {
  throw ProtocolError(std::string("malformed ") + what_ + " payload: " + why + " (at byte " + std::to_string(pos_) +
                      " of " + std::to_string(bytes_.size()) + ")");
}

std::span<const unsigned char> Reader::take(size_t size) {
  if (size > bytes_.size() - pos_) {
    fail("needs " + std::to_string(size) + " more bytes, " + std::to_string(bytes_.size() - pos_) + " left");
  }
  auto s = bytes_.subspan(pos_, size);
  pos_ += size;
  return s;
}

uint8_t Reader::u8() { return take(1)[0]; }
uint16_t Reader::u16() { return get<uint16_t>(take(2).data()); }
uint32_t Reader::u32() { return get<uint32_t>(take(4).data()); }
uint64_t Reader::u64() { return get<uint64_t>(take(8).data()); }
float Reader::f32() { return get<float>(take(4).data()); }

bool Reader::boolean() {
  const uint8_t v = u8();
  if (v > 1) fail("boolean byte is " + std::to_string(v));
  return v == 1;
}

std::string Reader::str() {
  const uint32_t n = u32();
  auto s = take(n);
  return std::string(reinterpret_cast<const char*>(s.data()), s.size());
}

size_t Reader::count(size_t min_item_bytes) {
  const uint32_t n = u32();
  const size_t left = bytes_.size() - pos_;
  if (min_item_bytes > 0 && n > left / min_item_bytes) {
    fail("a count of " + std::to_string(n) + " items cannot fit in the " + std::to_string(left) + " bytes left");
  }
  return n;
}

void Reader::expect_end() const {
  if (pos_ != bytes_.size()) fail(std::to_string(bytes_.size() - pos_) + " trailing bytes");
}

// ---- Errors ----

ErrorKind error_kind_of(const std::exception& e) {
  if (const auto* err = dynamic_cast<const Error*>(&e)) return static_cast<ErrorKind>(err->code());
  return ErrorKind::other;
}

void throw_error(ErrorKind kind, const std::string& message) {
  switch (kind) {
    case ErrorKind::model_load: throw ModelLoadError(message);
    case ErrorKind::invalid_input: throw InvalidInputError(message);
    case ErrorKind::disposed: throw DisposedError(message);
    case ErrorKind::budget_exceeded: throw BudgetExceededError(message);
    case ErrorKind::protocol: throw ProtocolError(message);
    case ErrorKind::worker_crashed: throw WorkerCrashedError(message);
    case ErrorKind::queue_full: throw QueueFullError(message);
    case ErrorKind::worker_terminated: throw WorkerTerminatedError(message);
    case ErrorKind::batcher_stopped: throw BatcherStoppedError(message);
    case ErrorKind::error:
    case ErrorKind::other: throw Error(message);
  }
  throw Error(message);
}

// ---- Messages ----

namespace {
void write_policy(Writer& w, const std::optional<ReleasePolicy>& p) {
  w.u8(p ? 1 : 0);
  if (p) {
    w.u8(static_cast<uint8_t>(p->kind));
    w.u32(p->idle_ms);
  }
}

std::optional<ReleasePolicy> read_policy(Reader& r) {
  if (!r.boolean()) return std::nullopt;
  const uint8_t kind = r.u8();
  if (kind > static_cast<uint8_t>(ReleaseKind::retain)) r.fail("release policy kind " + std::to_string(kind));
  ReleasePolicy p;
  p.kind = static_cast<ReleaseKind>(kind);
  p.idle_ms = r.u32();
  return p;
}

template <class Enum>
Enum read_enum(Reader& r, Enum last, const char* what) {
  const uint8_t v = r.u8();
  if (v > static_cast<uint8_t>(last)) r.fail(std::string(what) + " value " + std::to_string(v));
  return static_cast<Enum>(v);
}

// Task options and results travel as their one codec (pipelines/task_codec.hpp) in MessagePack, behind
// a u64 length: the protocol knows no task's fields.
void write_codec(Writer& w, const codec::Json& j) {
  const std::vector<std::uint8_t> packed = codec::Json::to_msgpack(j);
  w.u64(packed.size());
  w.raw(packed.data(), packed.size());
}

codec::Json read_codec(Reader& r, const char* what) {
  const uint64_t n = r.u64();
  if (n > r.remaining()) r.fail(std::string(what) + " of " + std::to_string(n) + " bytes cannot fit in the payload");
  const auto bytes = r.take(n);
  try {
    return codec::Json::from_msgpack(bytes.begin(), bytes.end());
  } catch (const std::exception& e) {
    r.fail(std::string(what) + ": " + e.what());
  }
}

template <class T, class Decode>
T decode_codec(Reader& r, const char* what, Decode&& decode) {
  const codec::Json j = read_codec(r, what);
  try {
    return decode(j);
  } catch (const Error& e) {  // a field that does not fit is a broken message here, not a user's mistake
    r.fail(std::string(what) + ": " + e.what());
  }
}
}  // namespace

std::string encode_hello(const Hello& h) {
  Writer w;
  w.u16(h.version);
  w.i32(h.pid);
  w.i32(h.intra_op_threads);
  w.u64(h.shm_threshold);
  write_policy(w, h.release_policy);
  w.str(h.name);
  return std::move(w.bytes());
}

Hello decode_hello(std::span<const unsigned char> bytes) {
  Reader r(bytes, "hello");
  Hello h;
  h.version = r.u16();
  if (h.version != kVersion) {
    r.fail("the other side speaks protocol version " + std::to_string(h.version) + ", this side " +
           std::to_string(kVersion));
  }
  h.pid = r.i32();
  h.intra_op_threads = r.i32();
  if (h.intra_op_threads < 0 || h.intra_op_threads > max_intra_op_threads())
    r.fail("intra_op_threads " + std::to_string(h.intra_op_threads) + " outside 0.." +
           std::to_string(max_intra_op_threads()));
  h.shm_threshold = r.u64();
  h.release_policy = read_policy(r);
  h.name = r.str();
  r.expect_end();
  return h;
}

void write_pipeline_options(Writer& w, const PipelineOptions& o) {
  w.str(o.dtype);
  w.str(o.model_file_name);
  w.i32(o.session.intra_op_threads);
  w.u8(static_cast<uint8_t>(o.session.optimization));
  w.u8(o.session.file_backed_weights ? 1 : 0);
  w.str(o.session.weights_cache_dir.string());
  w.u8(o.session.prepack_weights ? 1 : 0);
  w.u64(o.session.memory_owner);
  write_policy(w, o.release_policy);
}

PipelineOptions read_pipeline_options(Reader& r) {
  PipelineOptions o;
  o.dtype = r.str();
  o.model_file_name = r.str();
  o.session.intra_op_threads = r.i32();
  o.session.optimization = read_enum(r, GraphOptimization::all, "graph optimization");
  o.session.file_backed_weights = r.boolean();
  o.session.weights_cache_dir = r.str();
  o.session.prepack_weights = r.boolean();
  o.session.memory_owner = r.u64();
  o.release_policy = read_policy(r);
  return o;
}

std::string encode_key(const PipelineKey& k) {
  Writer w;
  w.str(k.task);
  w.str(k.model);
  write_pipeline_options(w, k.options);
  return std::move(w.bytes());
}

PipelineKey decode_key(std::span<const unsigned char> bytes) {
  Reader r(bytes, "pipeline key");
  PipelineKey k;
  k.task = r.str();
  k.model = r.str();
  k.options = read_pipeline_options(r);
  r.expect_end();
  return k;
}

std::string encode_call(const WorkerCall& c) {
  Writer w;
  w.str(c.task);
  w.str(c.model.string());
  write_pipeline_options(w, c.pipeline_options);
  w.u32(static_cast<uint32_t>(c.inputs.size()));
  for (const auto& s : c.inputs) w.str(s);
  w.u32(static_cast<uint32_t>(c.text_pairs.size()));
  for (const auto& s : c.text_pairs) w.str(s);
  w.u8(c.batched ? 1 : 0);
  write_codec(w, codec::encode_call_options(c.call_options));
  w.u32(static_cast<uint32_t>(c.chats.size()));
  for (const auto& chat : c.chats) {
    w.u32(static_cast<uint32_t>(chat.size()));
    for (const auto& m : chat) {
      w.str(m.role);
      w.str(m.content);
    }
  }
  w.u8(c.on_text ? 1 : 0);
  return std::move(w.bytes());
}

std::string encode_stream_chunk(const StreamChunk& c) {
  Writer w;
  w.u32(static_cast<uint32_t>(c.input));
  w.u8(c.end ? 1 : 0);
  w.str(c.text);
  return std::move(w.bytes());
}

StreamChunk decode_stream_chunk(std::span<const unsigned char> bytes) {
  Reader r(bytes, "stream chunk");
  StreamChunk c;
  c.input = r.u32();
  c.end = r.boolean();
  c.text = r.str();
  r.expect_end();
  return c;
}

WorkerCall decode_call(std::span<const unsigned char> bytes) {
  Reader r(bytes, "call");
  WorkerCall c;
  c.task = r.str();
  c.model = r.str();
  c.pipeline_options = read_pipeline_options(r);
  const size_t n = r.count(4);
  c.inputs.reserve(n);
  for (size_t i = 0; i < n; ++i) c.inputs.push_back(r.str());
  const size_t pairs = r.count(4);
  c.text_pairs.reserve(pairs);
  for (size_t i = 0; i < pairs; ++i) c.text_pairs.push_back(r.str());
  c.batched = r.boolean();
  c.call_options = decode_codec<CallOptions>(r, "call options", [](const codec::Json& j) { return codec::decode_call_options(j); });
  const size_t chats = r.count(4);
  c.chats.reserve(chats);
  for (size_t i = 0; i < chats; ++i) {
    const size_t messages = r.count(8);
    Chat chat;
    chat.reserve(messages);
    for (size_t m = 0; m < messages; ++m) {
      ChatMessage msg;
      msg.role = r.str();
      msg.content = r.str();
      chat.push_back(std::move(msg));
    }
    c.chats.push_back(std::move(chat));
  }
  // The child only learns that the host wants the text streamed; its frames carry it back.
  if (r.boolean()) c.on_text = [](const StreamChunk&) { return true; };
  r.expect_end();
  return c;
}

std::string encode_result(const CallResult& res) {
  Writer w;
  w.u32(res.pipelines);
  write_codec(w, codec::encode_output(res.output));
  return std::move(w.bytes());
}

CallResult decode_result(std::span<const unsigned char> bytes) {
  Reader r(bytes, "result");
  CallResult res;
  res.pipelines = r.u32();
  res.output = decode_codec<Output>(r, "result", [](const codec::Json& j) { return codec::decode_output(j); });
  r.expect_end();
  return res;
}

std::string encode_error(const ErrorMessage& e) {
  Writer w;
  w.u8(static_cast<uint8_t>(e.kind));
  w.str(e.message);
  return std::move(w.bytes());
}

ErrorMessage decode_error(std::span<const unsigned char> bytes) {
  Reader r(bytes, "error");
  ErrorMessage e;
  e.kind = read_enum(r, ErrorKind::batcher_stopped, "error kind");
  e.message = r.str();
  r.expect_end();
  return e;
}

std::string encode_done(const Done& d) {
  Writer w;
  w.u8(d.flag ? 1 : 0);
  w.u32(d.pipelines);
  return std::move(w.bytes());
}

Done decode_done(std::span<const unsigned char> bytes) {
  Reader r(bytes, "done");
  Done d;
  d.flag = r.boolean();
  d.pipelines = r.u32();
  r.expect_end();
  return d;
}

std::string encode_memory_report(const MemoryReport& m) {
  Writer w;
  const auto& p = m.process;
  for (uint64_t v : {p.rss, p.rss_anon, p.rss_file, p.rss_shmem, p.pss, p.vm_hwm}) w.u64(v);
  const auto& a = m.allocator;
  for (uint64_t v : {a.reserved, a.in_use, a.peak_in_use, a.cached, a.allocations, a.reserves, a.large_allocations,
                     a.frees, a.live_blocks, a.os_maps, a.os_unmaps, a.cache_hits, a.refused})
    w.u64(v);
  w.u64(m.mapped_weights_bytes);
  w.u32(static_cast<uint32_t>(m.mapped_weights.size()));
  for (const auto& row : m.mapped_weights) {
    w.str(row.file.string());
    w.u64(row.bytes);
    w.i32(row.sessions);
  }
  w.u32(static_cast<uint32_t>(m.pipelines.size()));
  for (const auto& row : m.pipelines) {
    w.u64(row.owner);
    w.str(row.task);
    w.str(row.model.string());
    w.str(row.dtype);
    w.str(row.onnx_file.string());
    w.u64(row.in_use);
    w.u64(row.peak_in_use);
    w.u64(row.allocations);
    w.u64(row.kv_cache_bytes);
    w.u64(row.kv_cache_peak_bytes);
    w.u64(row.kv_cache_bytes_per_token);
  }
  w.u64(m.unattributed_in_use);
  return std::move(w.bytes());
}

MemoryReport decode_memory_report(std::span<const unsigned char> bytes) {
  Reader r(bytes, "memory report");
  MemoryReport m;
  auto& p = m.process;
  for (uint64_t* v : {&p.rss, &p.rss_anon, &p.rss_file, &p.rss_shmem, &p.pss, &p.vm_hwm}) *v = r.u64();
  auto& a = m.allocator;
  for (uint64_t* v : {&a.reserved, &a.in_use, &a.peak_in_use, &a.cached, &a.allocations, &a.reserves,
                      &a.large_allocations, &a.frees, &a.live_blocks, &a.os_maps, &a.os_unmaps, &a.cache_hits,
                      &a.refused})
    *v = r.u64();
  m.mapped_weights_bytes = r.u64();
  m.mapped_weights.resize(r.count(16));
  for (auto& row : m.mapped_weights) {
    row.file = r.str();
    row.bytes = r.u64();
    row.sessions = r.i32();
  }
  m.pipelines.resize(r.count(72));
  for (auto& row : m.pipelines) {
    row.owner = r.u64();
    row.task = r.str();
    row.model = r.str();
    row.dtype = r.str();
    row.onnx_file = r.str();
    row.in_use = r.u64();
    row.peak_in_use = r.u64();
    row.allocations = r.u64();
    row.kv_cache_bytes = r.u64();
    row.kv_cache_peak_bytes = r.u64();
    row.kv_cache_bytes_per_token = r.u64();
  }
  m.unattributed_in_use = r.u64();
  r.expect_end();
  return m;
}

// ---- Transport ----

namespace {
[[noreturn]] void throw_send_error(int err) {
  if (err == EPIPE || err == ECONNRESET || err == ENOTCONN)
    throw WorkerCrashedError(std::string("the other end of the worker socket is gone: ") + std::strerror(err));
  throw Error(std::string("cannot write to the worker socket: ") + std::strerror(err));
}
}  // namespace

void send_frame(int fd, MessageType type, uint64_t request_id, std::string_view payload, size_t shm_threshold) {
  FrameHeader h;
  h.type = type;
  h.request_id = request_id;
  int shm_fd = -1;
  if (payload.size() > shm_threshold || payload.size() > kMaxInlinePayload) {
    if (payload.size() > kMaxSharedPayload) {
      throw ProtocolError(std::string(to_string(type)) + " payload of " + std::to_string(payload.size()) +
                          " bytes is over the limit of " + std::to_string(kMaxSharedPayload));
    }
    shm_fd = make_shared_payload({reinterpret_cast<const unsigned char*>(payload.data()), payload.size()});
    h.flags = kPayloadInMemfd;
    h.payload_length = static_cast<uint32_t>(payload.size());
    payload = {};
  } else {
    h.payload_length = static_cast<uint32_t>(payload.size());
  }
  unsigned char header[kHeaderSize];
  encode_header(h, header);

  iovec iov[2] = {{header, kHeaderSize}, {const_cast<char*>(payload.data()), payload.size()}};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  msghdr msg{};
  msg.msg_iov = iov;
  msg.msg_iovlen = payload.empty() ? 1 : 2;
  if (shm_fd >= 0) {
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &shm_fd, sizeof(int));
  }
  size_t left = kHeaderSize + payload.size();
  while (left > 0) {
    const ssize_t n = sendmsg(fd, &msg, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      if (shm_fd >= 0) ::close(shm_fd);
      throw_send_error(err);
    }
    // The descriptor went with the first bytes; a partial write continues without it.
    msg.msg_control = nullptr;
    msg.msg_controllen = 0;
    left -= static_cast<size_t>(n);
    size_t sent = static_cast<size_t>(n);
    while (sent > 0 && msg.msg_iovlen > 0) {
      if (sent >= msg.msg_iov[0].iov_len) {
        sent -= msg.msg_iov[0].iov_len;
        ++msg.msg_iov;
        --msg.msg_iovlen;
      } else {
        msg.msg_iov[0].iov_base = static_cast<char*>(msg.msg_iov[0].iov_base) + sent;
        msg.msg_iov[0].iov_len -= sent;
        sent = 0;
      }
    }
  }
  if (shm_fd >= 0) ::close(shm_fd);
}

bool receive_some(int fd, FrameDecoder& decoder) {
  char buffer[64 << 10];
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFdsQueued)];
  iovec iov{buffer, sizeof buffer};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  do {
    n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno == ECONNRESET) throw WorkerCrashedError("the worker connection was reset");
    throw Error(std::string("cannot read the worker socket: ") + std::strerror(errno));
  }
  // Take ownership of every descriptor first, so an error below leaks none.
  std::vector<int> fds;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      const size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (size_t i = 0; i < count; ++i) {
        int received;
        std::memcpy(&received, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
        fds.push_back(received);
      }
    }
  }
  if (msg.msg_flags & MSG_CTRUNC) {
    for (int f : fds) ::close(f);
    throw ProtocolError("too many descriptors passed with one frame");
  }
  for (size_t i = 0; i < fds.size(); ++i) {
    try {
      decoder.add_fd(fds[i]);
    } catch (...) {
      for (size_t j = i + 1; j < fds.size(); ++j) ::close(fds[j]);
      throw;
    }
  }
  if (n == 0) return false;
  decoder.feed(buffer, static_cast<size_t>(n));
  return true;
}

}  // namespace transformers::workers::protocol
