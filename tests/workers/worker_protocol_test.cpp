// The process worker's codec on byte buffers and over a real socketpair: round trips of every message,
// and every malformed, truncated or oversized input refused with ProtocolError (never a crash, never a
// big allocation).
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <random>

#include "test_support.hpp"
#include "transformers/dynamic_batcher.hpp"
#include "workers/worker_protocol.hpp"

namespace tf = transformers;
namespace proto = transformers::workers::protocol;

namespace {

std::span<const unsigned char> bytes_of(const std::string& s) {
  return {reinterpret_cast<const unsigned char*>(s.data()), s.size()};
}

std::string frame_bytes(proto::MessageType type, uint64_t id, const std::string& payload, uint16_t flags = 0) {
  proto::FrameHeader h;
  h.type = type;
  h.request_id = id;
  h.flags = flags;
  h.payload_length = static_cast<uint32_t>(payload.size());
  unsigned char header[proto::kHeaderSize];
  proto::encode_header(h, header);
  return std::string(reinterpret_cast<char*>(header), proto::kHeaderSize) + payload;
}

size_t open_fds() {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

tf::PipelineOptions unusual_options() {
  tf::PipelineOptions o;
  o.dtype = "q8";
  o.model_file_name = "other";
  o.session.intra_op_threads = 3;
  o.session.optimization = tf::GraphOptimization::basic;
  o.session.file_backed_weights = false;
  o.session.weights_cache_dir = "/tmp/some cache";
  o.session.prepack_weights = true;
  o.session.memory_owner = 77;
  o.release_policy = tf::ReleasePolicy::deferred(250);
  return o;
}

tf::WorkerCall unusual_call() {
  tf::WorkerCall c;
  c.task = "sentiment-analysis";
  c.model = "/models/x y";
  c.pipeline_options = unusual_options();
  c.inputs = {"first", "", std::string("nul\0inside", 10), "héllo"};
  c.batched = false;
  c.text_pairs = {"a", "b", "", "c"};
  c.call_options = tf::TextClassificationOptions{std::nullopt, tf::FunctionToApply::sigmoid};
  return c;
}

void expect_same_options(const tf::PipelineOptions& a, const tf::PipelineOptions& b) {
  EXPECT_EQ(a.dtype, b.dtype);
  EXPECT_EQ(a.model_file_name, b.model_file_name);
  EXPECT_EQ(a.session.intra_op_threads, b.session.intra_op_threads);
  EXPECT_EQ(a.session.optimization, b.session.optimization);
  EXPECT_EQ(a.session.file_backed_weights, b.session.file_backed_weights);
  EXPECT_EQ(a.session.weights_cache_dir, b.session.weights_cache_dir);
  EXPECT_EQ(a.session.prepack_weights, b.session.prepack_weights);
  EXPECT_EQ(a.session.memory_owner, b.session.memory_owner);
  EXPECT_EQ(a.release_policy, b.release_policy);
}

// Every proper prefix of a payload, and the payload plus a trailing byte, must be refused cleanly.
template <class Decode>
void expect_prefixes_refused(const std::string& payload, Decode decode) {
  for (size_t n = 0; n < payload.size(); ++n) {
    const std::string cut = payload.substr(0, n);
    EXPECT_THROW(decode(bytes_of(cut)), tf::ProtocolError) << "prefix of " << n << " bytes";
  }
  EXPECT_THROW(decode(bytes_of(payload + "x")), tf::ProtocolError);
}

// Random byte corruption: each variant either decodes or throws ProtocolError; nothing else escapes.
template <class Decode>
void expect_corruption_handled(const std::string& payload, Decode decode) {
  std::mt19937 rng(12345);
  for (int round = 0; round < 2000; ++round) {
    std::string bad = payload;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) bad[rng() % bad.size()] = static_cast<char>(rng());
    try {
      decode(bytes_of(bad));
    } catch (const tf::ProtocolError&) {
    }
  }
}

}  // namespace

TEST(WorkerProtocol, HeaderRoundTripAndLayout) {
  proto::FrameHeader h;
  h.type = proto::MessageType::call;
  h.request_id = 0x0102030405060708ull;
  h.payload_length = 99;
  unsigned char b[proto::kHeaderSize];
  proto::encode_header(h, b);
  // Little-endian magic "TFWK" at offset 0, as documented.
  EXPECT_EQ(std::string(reinterpret_cast<char*>(b), 4), "TFWK");
  const auto back = proto::decode_header(b);
  EXPECT_EQ(back.type, h.type);
  EXPECT_EQ(back.request_id, h.request_id);
  EXPECT_EQ(back.payload_length, 99u);
  EXPECT_EQ(back.version, proto::kVersion);
}

TEST(WorkerProtocol, BadHeadersAreRefusedWithClearMessages) {
  auto header_with = [](size_t offset, const void* value, size_t size) {
    std::string f = frame_bytes(proto::MessageType::ping, 1, "");
    std::memcpy(f.data() + offset, value, size);
    return f;
  };
  auto message = [](const std::string& f) {
    return tf::fixtures::message_of<tf::ProtocolError>(
        [&] { proto::decode_header(reinterpret_cast<const unsigned char*>(f.data())); });
  };
  const uint32_t bad_magic = 0x12345678;
  EXPECT_NE(message(header_with(0, &bad_magic, 4)).find("bad frame magic"), std::string::npos);
  const uint16_t version = proto::kVersion + 1;
  EXPECT_NE(message(header_with(4, &version, 2)).find("version " + std::to_string(version)), std::string::npos);
  for (uint16_t type : {uint16_t{0}, uint16_t{16}, uint16_t{0xffff}})
    EXPECT_NE(message(header_with(6, &type, 2)).find("unknown frame type"), std::string::npos);
  const uint16_t flags = 2;
  EXPECT_NE(message(header_with(8, &flags, 2)).find("flags"), std::string::npos);
  const uint16_t reserved = 1;
  EXPECT_NE(message(header_with(10, &reserved, 2)).find("reserved"), std::string::npos);
  const uint32_t huge = proto::kMaxInlinePayload + 1;
  EXPECT_NE(message(header_with(12, &huge, 4)).find("over the limit"), std::string::npos);
  // Garbage text is refused at its first four bytes.
  EXPECT_NE(message("this is not a frame at all....").find("magic"), std::string::npos);
}

TEST(WorkerProtocol, DecoderReassemblesFramesFedByteByByte) {
  const std::string stream = frame_bytes(proto::MessageType::ping, 7, "") +
                             frame_bytes(proto::MessageType::call, 8, std::string(1000, 'a')) +
                             frame_bytes(proto::MessageType::error, 9, "xyz");
  proto::FrameDecoder d;
  std::vector<proto::Frame> frames;
  for (char c : stream) {
    d.feed(&c, 1);
    while (auto f = d.next()) frames.push_back(std::move(*f));
  }
  d.finish();
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(frames[0].header.request_id, 7u);
  EXPECT_EQ(frames[1].inline_payload, std::string(1000, 'a'));
  EXPECT_EQ(frames[2].header.type, proto::MessageType::error);
  EXPECT_EQ(d.buffered(), 0u);
}

TEST(WorkerProtocol, TruncatedStreamsAreReportedAtTheEnd) {
  const std::string f = frame_bytes(proto::MessageType::call, 3, std::string(100, 'z'));
  for (size_t n : {size_t{1}, size_t{23}, size_t{24}, size_t{60}, f.size() - 1}) {
    proto::FrameDecoder d;
    d.feed(f.data(), n);
    EXPECT_FALSE(d.next().has_value());
    const std::string msg = tf::fixtures::message_of<tf::ProtocolError>([&] { d.finish(); });
    EXPECT_NE(msg.find("closed in the middle"), std::string::npos) << n << ": " << msg;
  }
}

TEST(WorkerProtocol, OversizedLengthIsRefusedBeforeAnyPayloadArrives) {
  proto::FrameHeader h;
  h.type = proto::MessageType::call;
  unsigned char b[proto::kHeaderSize];
  proto::encode_header(h, b);
  const uint32_t huge = 0xffffffffu;
  std::memcpy(b + 12, &huge, 4);
  proto::FrameDecoder d;
  d.feed(b, sizeof b);
  EXPECT_THROW(d.next(), tf::ProtocolError);
  // A shared-memory frame with no descriptor is refused too.
  proto::FrameDecoder d2;
  const std::string shm = frame_bytes(proto::MessageType::result, 1, "", proto::kPayloadInMemfd);
  d2.feed(shm.data(), shm.size());
  EXPECT_THROW(d2.next(), tf::ProtocolError);
}

TEST(WorkerProtocol, MessagesRoundTripEveryField) {
  proto::Hello hello{proto::kVersion, 4242, 2, 1u << 20, tf::ReleasePolicy::retain(), "w-1"};
  const auto h = proto::decode_hello(bytes_of(proto::encode_hello(hello)));
  EXPECT_EQ(h.pid, 4242);
  EXPECT_EQ(h.intra_op_threads, 2);
  EXPECT_EQ(h.shm_threshold, 1u << 20);
  EXPECT_EQ(h.release_policy, tf::ReleasePolicy::retain());
  EXPECT_EQ(h.name, "w-1");

  const auto key = proto::decode_key(bytes_of(proto::encode_key({"embeddings", "/m", unusual_options()})));
  EXPECT_EQ(key.task, "embeddings");
  EXPECT_EQ(key.model, "/m");
  expect_same_options(key.options, unusual_options());

  const tf::WorkerCall call = unusual_call();
  const auto c = proto::decode_call(bytes_of(proto::encode_call(call)));
  EXPECT_EQ(c.task, call.task);
  EXPECT_EQ(c.model, call.model);
  expect_same_options(c.pipeline_options, call.pipeline_options);
  EXPECT_EQ(c.inputs, call.inputs);
  EXPECT_EQ(c.batched, call.batched);
  EXPECT_EQ(c.text_pairs, call.text_pairs);
  EXPECT_TRUE(c.call_options == call.call_options);

  tf::Output::Labels labels = {{{"POSITIVE", 0.75f}, {"NEGATIVE", 0.25f}}, {{"x", -0.0f}}};
  const auto lr = proto::decode_result(bytes_of(proto::encode_result({3, tf::Output(labels, true, 2)})));
  EXPECT_EQ(lr.pipelines, 3u);
  ASSERT_TRUE(lr.output.is_labels());
  EXPECT_EQ(lr.output.to_json(), tf::Output(labels, true, 2).to_json());
  EXPECT_TRUE(lr.output.batched_input());
  EXPECT_EQ(lr.output.get<tf::TextClassificationResult>().top_k, 2);
  EXPECT_TRUE(std::signbit(lr.output.labels()[1][0].score));

  tf::Tensor t{{2, 3}, {1.5f, -2.0f, 3e-39f, std::numeric_limits<float>::infinity(), 0.0f, 7.0f}};
  const auto tr = proto::decode_result(bytes_of(proto::encode_result({1, tf::Output(t)})));
  ASSERT_TRUE(tr.output.is_tensor());
  EXPECT_EQ(tr.output.tensor().dims, t.dims);
  EXPECT_EQ(std::memcmp(tr.output.tensor().data.data(), t.data.data(), t.data.size() * 4), 0);
  tf::Output cut(t);
  cut.set_truncated_inputs({0, 1});  // which inputs the model saw only in part survives the boundary
  EXPECT_EQ(proto::decode_result(bytes_of(proto::encode_result({1, cut}))).output.truncated_inputs(),
            (std::vector<size_t>{0, 1}));

  for (int k = 0; k <= static_cast<int>(proto::ErrorKind::batcher_stopped); ++k) {
    const auto e = proto::decode_error(bytes_of(proto::encode_error({static_cast<proto::ErrorKind>(k), "why"})));
    EXPECT_EQ(static_cast<int>(e.kind), k);
    EXPECT_EQ(e.message, "why");
  }
  const auto done = proto::decode_done(bytes_of(proto::encode_done({true, 5})));
  EXPECT_TRUE(done.flag);
  EXPECT_EQ(done.pipelines, 5u);

  tf::MemoryReport m;
  m.process = {1, 2, 3, 4, 5, 6};
  m.allocator.reserved = 10;
  m.allocator.refused = 23;
  m.mapped_weights_bytes = 11;
  m.mapped_weights = {{"/w.bin", 12, 2}};
  m.pipelines = {{13, "text-classification", "/m", "fp32", "/m/onnx/model.onnx", 14, 15, 16}};
  m.unattributed_in_use = 17;
  const auto mr = proto::decode_memory_report(bytes_of(proto::encode_memory_report(m)));
  EXPECT_EQ(mr.to_json(), m.to_json());
  EXPECT_EQ(mr.allocator.refused, 23u);
}

TEST(WorkerProtocol, ErrorKindsRethrowAsTheirOwnTypes) {
  auto kind_of_thrown = [](proto::ErrorKind k) {
    try {
      proto::throw_error(k, "m");
    } catch (const std::exception& e) {
      EXPECT_STREQ(e.what(), "m");
      return proto::error_kind_of(e);
    }
    return proto::ErrorKind::other;
  };
  for (auto k : {proto::ErrorKind::model_load, proto::ErrorKind::invalid_input, proto::ErrorKind::disposed,
                 proto::ErrorKind::budget_exceeded, proto::ErrorKind::protocol, proto::ErrorKind::worker_crashed,
                 proto::ErrorKind::queue_full, proto::ErrorKind::worker_terminated, proto::ErrorKind::error})
    EXPECT_EQ(kind_of_thrown(k), k);
  EXPECT_THROW(proto::throw_error(proto::ErrorKind::model_load, "x"), tf::ModelLoadError);
  EXPECT_THROW(proto::throw_error(proto::ErrorKind::budget_exceeded, "x"), tf::BudgetExceededError);
}

TEST(WorkerProtocol, TruncatedOrPaddedPayloadsAreRefused) {
  expect_prefixes_refused(proto::encode_hello({}), proto::decode_hello);
  expect_prefixes_refused(proto::encode_key({"t", "m", unusual_options()}), proto::decode_key);
  expect_prefixes_refused(proto::encode_call(unusual_call()), proto::decode_call);
  tf::Output::Labels labels = {{{"A", 0.5f}}};
  expect_prefixes_refused(proto::encode_result({1, tf::Output(labels, false, 1)}), proto::decode_result);
  expect_prefixes_refused(proto::encode_result({1, tf::Output(tf::Tensor{{1, 2}, {1, 2}})}), proto::decode_result);
  expect_prefixes_refused(proto::encode_error({proto::ErrorKind::model_load, "m"}), proto::decode_error);
  expect_prefixes_refused(proto::encode_done({}), proto::decode_done);
  tf::MemoryReport m;
  m.mapped_weights = {{"/w", 1, 1}};
  m.pipelines = {{1, "t", "m", "d", "o", 1, 2, 3}};
  expect_prefixes_refused(proto::encode_memory_report(m), proto::decode_memory_report);
}

TEST(WorkerProtocol, CorruptedPayloadsNeverEscapeAsAnythingButProtocolError) {
  expect_corruption_handled(proto::encode_call(unusual_call()), proto::decode_call);
  expect_corruption_handled(proto::encode_result({1, tf::Output(tf::Output::Labels{{{"A", 0.5f}, {"B", 0.5f}}}, true,
                                                                std::nullopt)}),
                            proto::decode_result);
  expect_corruption_handled(proto::encode_result({1, tf::Output(tf::Tensor{{2, 2}, {1, 2, 3, 4}})}),
                            proto::decode_result);
  tf::MemoryReport m;
  m.pipelines = {{1, "t", "m", "d", "o", 1, 2, 3}};
  expect_corruption_handled(proto::encode_memory_report(m), proto::decode_memory_report);
}

TEST(WorkerProtocol, HostileCountsAndShapesAreRefusedWithoutAllocating) {
  proto::Writer w;
  w.str("t");
  w.str("m");
  proto::write_pipeline_options(w, {});
  w.u32(0xffffffffu);  // four billion inputs in a few bytes
  EXPECT_NE(tf::fixtures::message_of<tf::ProtocolError>([&] { proto::decode_call(bytes_of(w.bytes())); })
                .find("cannot fit"),
            std::string::npos);

  proto::Writer t;  // a tensor whose dims claim 2^62 elements
  t.u32(1);
  t.u8(1);
  t.u32(2);
  t.i64(int64_t{1} << 31);
  t.i64(int64_t{1} << 31);
  t.u64(uint64_t{1} << 62);
  EXPECT_THROW(proto::decode_result(bytes_of(t.bytes())), tf::ProtocolError);

  proto::Writer n;  // a negative dimension
  n.u32(1);
  n.u8(1);
  n.u32(1);
  n.i64(-4);
  n.u64(0);
  EXPECT_THROW(proto::decode_result(bytes_of(n.bytes())), tf::ProtocolError);

  proto::Writer e;  // an error kind from the future
  e.u8(200);
  e.str("m");
  EXPECT_THROW(proto::decode_error(bytes_of(e.bytes())), tf::ProtocolError);
}

TEST(WorkerProtocol, SocketCarriesSmallFramesInlineAndLargeOnesThroughSealedMemfd) {
  const size_t fds_before = open_fds();
  {
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    std::string big(3u << 20, '\0');
    for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 2654435761u >> 24);
    std::thread sender([&] {
      proto::send_frame(sv[0], proto::MessageType::call, 1, "small", 1024);
      proto::send_frame(sv[0], proto::MessageType::result, 2, big, 1024);
      proto::send_frame(sv[0], proto::MessageType::result, 3, big.substr(0, 1024), 1024);  // at the threshold: inline
      ::close(sv[0]);
    });
    proto::FrameDecoder d;
    std::vector<proto::Frame> frames;
    while (proto::receive_some(sv[1], d))
      while (auto f = d.next()) frames.push_back(std::move(*f));
    d.finish();
    sender.join();
    ::close(sv[1]);
    ASSERT_EQ(frames.size(), 3u);
    EXPECT_FALSE(frames[0].shared.has_value());
    EXPECT_EQ(frames[0].inline_payload, "small");
    ASSERT_TRUE(frames[1].shared.has_value());
    const auto p = frames[1].payload();
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(p.data()), p.size()), big);
    EXPECT_FALSE(frames[2].shared.has_value());
  }
  EXPECT_EQ(open_fds(), fds_before);  // memfds and mappings released with their frames
}

TEST(WorkerProtocol, UnsealedOrShortMemfdIsRefused) {
  auto send_with_fd = [](int sock, const std::string& frame, int fd) {
    iovec iov{const_cast<char*>(frame.data()), frame.size()};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
    ASSERT_EQ(sendmsg(sock, &msg, 0), static_cast<ssize_t>(frame.size()));
  };
  const size_t fds_before = open_fds();
  for (bool sealed : {false, true}) {
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    const int fd = memfd_create("test", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    ASSERT_EQ(ftruncate(fd, 100), 0);
    if (sealed) {
      ASSERT_EQ(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW), 0);
    }
    // Declares 4096 bytes: more than the 100 the file holds.
    proto::FrameHeader h;
    h.type = proto::MessageType::result;
    h.flags = proto::kPayloadInMemfd;
    h.payload_length = 4096;
    std::string frame(proto::kHeaderSize, '\0');
    proto::encode_header(h, reinterpret_cast<unsigned char*>(frame.data()));
    send_with_fd(sv[0], frame, fd);
    ::close(fd);
    proto::FrameDecoder d;
    ASSERT_TRUE(proto::receive_some(sv[1], d));
    const std::string msg = tf::fixtures::message_of<tf::ProtocolError>([&] { d.next(); });
    EXPECT_NE(msg.find(sealed ? "holds 100 bytes" : "not sealed"), std::string::npos) << msg;
    ::close(sv[0]);
    ::close(sv[1]);
  }
  EXPECT_EQ(open_fds(), fds_before);
}

TEST(WorkerProtocol, WritingToAClosedPeerIsWorkerCrashedNotSigpipe) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  ::close(sv[1]);
  EXPECT_THROW(proto::send_frame(sv[0], proto::MessageType::ping, 1, {}), tf::WorkerCrashedError);
  ::close(sv[0]);
}

// Error::code() carries the kind across the process boundary (no class list to keep in step): every error
// class thrown in the child is rethrown as the same class in the host.
TEST(WorkerProtocol, EveryErrorClassCrossesTheBoundaryByItsCode) {
  const auto round_trip = [](const std::exception& thrown) {
    const proto::ErrorKind kind = proto::error_kind_of(thrown);
    const auto e = proto::decode_error(bytes_of(proto::encode_error({kind, thrown.what()})));
    try {
      proto::throw_error(e.kind, e.message);
    } catch (const tf::Error& err) {
      return std::string(tf::to_string(err.code())) + ":" + err.what();
    }
    return std::string("(nothing thrown)");
  };
  EXPECT_EQ(round_trip(tf::ModelLoadError("a")), "model_load:a");
  EXPECT_EQ(round_trip(tf::InvalidInputError("b")), "invalid_input:b");
  EXPECT_EQ(round_trip(tf::DisposedError("c")), "disposed:c");
  EXPECT_EQ(round_trip(tf::BudgetExceededError("d")), "budget_exceeded:d");
  EXPECT_EQ(round_trip(tf::ProtocolError("e")), "protocol:e");
  EXPECT_EQ(round_trip(tf::WorkerCrashedError("f")), "worker_crashed:f");
  EXPECT_EQ(round_trip(tf::QueueFullError("g")), "queue_full:g");
  EXPECT_EQ(round_trip(tf::WorkerTerminatedError("h")), "worker_terminated:h");
  EXPECT_EQ(round_trip(tf::BatcherStoppedError("i")), "batcher_stopped:i");
  EXPECT_EQ(round_trip(tf::Error("j")), "error:j");
  EXPECT_EQ(round_trip(std::runtime_error("k")), "error:k");  // not ours: a plain Error in the host
}
