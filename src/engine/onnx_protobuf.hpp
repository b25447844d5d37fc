// A minimal reader/writer of the protobuf wire format, enough to find the initializers of an ONNX
// ModelProto and to rewrite them as external data. No protobuf library is involved: fields we do
// not touch are copied byte for byte. Field numbers are onnx.proto's (ModelProto.graph = 7,
// GraphProto.initializer = 5, TensorProto: dims 1, data_type 2, float_data 4, int32_data 5,
// int64_data 7, name 8, raw_data 9, double_data 10, external_data 13, data_location 14).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace transformers::engine::onnx {

// Thrown on malformed input; callers turn it into a ModelLoadError naming the file.
class WireError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class Wire : uint8_t { varint = 0, i64 = 1, len = 2, i32 = 5 };

struct Field {
  uint32_t number = 0;
  Wire wire = Wire::varint;
  uint64_t value = 0;                  // varint value, or the fixed i32/i64 bits
  std::span<const std::byte> payload;  // len: the bytes; i32/i64: the raw little-endian bytes
  size_t begin = 0, end = 0;           // the whole field (tag included) within the message
};

// Iterates the fields of one message.
class Reader {
 public:
  explicit Reader(std::span<const std::byte> message) : msg_(message) {}
  bool next(Field& f);  // false at the end; throws WireError on malformed input
  size_t position() const { return pos_; }

 private:
  uint64_t varint();
  std::span<const std::byte> msg_;
  size_t pos_ = 0;
};

// Appends to a serialized message.
void put_varint(std::string& out, uint64_t v);
void put_tag(std::string& out, uint32_t number, Wire wire);
void put_len(std::string& out, uint32_t number, std::string_view bytes);
void put_raw(std::string& out, std::span<const std::byte> bytes);

enum DataType : int32_t { FLOAT = 1, UINT8 = 2, INT8 = 3, INT32 = 6, INT64 = 7, STRING = 8, DOUBLE = 11 };
size_t element_size(int32_t data_type);  // 0 = unknown / variable

// One graph initializer as found in the model (no data copied unless it had to be decoded).
struct Initializer {
  std::string name;
  int32_t data_type = 0;
  std::vector<int64_t> dims;
  bool external = false;  // data_location == EXTERNAL
  std::vector<std::pair<std::string, std::string>> external_data;  // key/value entries
  // The tensor's bytes, when they can be served from a sidecar: a view into the model (raw_data,
  // packed float/double data) or `decoded` (int64/int32 varints, unpacked floats).
  std::span<const std::byte> data;
  std::vector<std::byte> decoded;
  uint32_t data_field = 0;  // which TensorProto field held them (9 = raw_data); 0 = none usable
};

struct ModelScan {
  std::vector<Initializer> initializers;  // in file order (GraphProto.initializer)
  bool has_external_data = false;         // some initializer already lives in an external file
};

// ModelProto's top-level facts (fields 1, 2, 3 and 8), the graph skipped, not read.
struct ModelHeader {
  int64_t ir_version = 0;
  std::string producer_name, producer_version;
  std::vector<std::pair<std::string, int64_t>> opsets;  // domain ("" = ai.onnx), version
  int64_t default_opset() const;                        // the ai.onnx version, 0 if none
};
ModelHeader read_model_header(std::span<const std::byte> model);  // WireError on malformed input

// Reads one TensorProto. Throws WireError on malformed input.
Initializer read_tensor(std::span<const std::byte> tensor_proto);

// Reads ModelProto.graph.initializer. Throws WireError when the bytes are not a ModelProto.
ModelScan scan_model(std::span<const std::byte> model);

// Initializers that a weight-prepacking node (MatMul, Gemm, MatMulInteger, ... as input B) shares with any
// other node, e.g. tied embeddings (Gather and the LM head's Gemm on one matrix). ONNX Runtime 1.30's
// saved prepacked initializers crash such graphs at run time, so the optimized-model cache must not
// serve them. Top-level graph only. Throws WireError on malformed input.
std::vector<std::string> prepacked_shared_initializers(std::span<const std::byte> model);

// The op type of the first top-level node with subgraphs (If, Loop, Scan: Optimum's merged decoders), or "".
// ONNX Runtime 1.30 saves such graphs optimized with initializer names repeated across the subgraphs
// ("initializer name is not unique" when loading them back), so the optimized-model cache must not serve
// them either. Throws WireError on malformed input.
std::string control_flow_op(std::span<const std::byte> model);

struct ExternalRef {
  std::string location;
  uint64_t offset = 0, length = 0;
};

// Copies `model`, turning the i-th initializer into external data where `place(i)` says so (its
// embedded bytes are dropped and external_data / data_location are written); everything else is
// copied verbatim.
std::string rewrite_model(std::span<const std::byte> model, const ModelScan& scan,
                          const std::function<std::optional<ExternalRef>(size_t index)>& place);

}  // namespace transformers::engine::onnx
