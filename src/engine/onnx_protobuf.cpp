#include "engine/onnx_protobuf.hpp"

#include <map>
#include <set>

#include <cstring>

namespace transformers::engine::onnx {

namespace {

constexpr uint32_t kModelGraph = 7, kGraphInitializer = 5;
constexpr uint32_t kDims = 1, kDataType = 2, kSegment = 3, kFloatData = 4, kInt32Data = 5, kInt64Data = 7,
                   kName = 8, kRawData = 9, kDoubleData = 10, kExternalData = 13, kDataLocation = 14;
constexpr uint64_t kExternal = 1;

std::string_view as_text(std::span<const std::byte> b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// Decodes a packed run of varints (or one unpacked value) into fixed-size little-endian integers.
template <class T>
void append_varints(const Field& f, std::vector<std::byte>& out) {
  auto push = [&](uint64_t v) {
    const T t = static_cast<T>(v);
    const size_t at = out.size();
    out.resize(at + sizeof t);
    std::memcpy(out.data() + at, &t, sizeof t);
  };
  if (f.wire == Wire::varint) return push(f.value);
  if (f.wire != Wire::len) throw WireError("TensorProto integer data has an unexpected wire type");
  // Reuse the reader on a synthetic stream: a packed run is just concatenated varints.
  size_t i = 0;
  while (i < f.payload.size()) {
    uint64_t v = 0;
    for (int shift = 0;; shift += 7) {
      if (i >= f.payload.size() || shift > 63) throw WireError("truncated varint in packed data");
      const auto b = static_cast<uint8_t>(f.payload[i++]);
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) break;
    }
    push(v);
  }
}


}  // namespace

bool Reader::next(Field& f) {
  if (pos_ >= msg_.size()) return false;
  f.begin = pos_;
  const uint64_t tag = varint();
  f.number = static_cast<uint32_t>(tag >> 3);
  if (f.number == 0) throw WireError("field number 0 at offset " + std::to_string(f.begin));
  f.wire = static_cast<Wire>(tag & 7);
  f.payload = {};
  f.value = 0;
  switch (tag & 7) {
    case 0: f.value = varint(); break;
    case 1:
    case 5: {
      const size_t n = (tag & 7) == 1 ? 8 : 4;
      if (msg_.size() - pos_ < n) throw WireError("truncated fixed-size field at offset " + std::to_string(f.begin));
      f.payload = msg_.subspan(pos_, n);
      std::memcpy(&f.value, f.payload.data(), n);
      pos_ += n;
      break;
    }
    case 2: {
      const uint64_t n = varint();
      if (n > msg_.size() - pos_) {
        throw WireError("field " + std::to_string(f.number) + " at offset " + std::to_string(f.begin) + " claims " +
                        std::to_string(n) + " bytes, only " + std::to_string(msg_.size() - pos_) + " remain");
      }
      f.payload = msg_.subspan(pos_, static_cast<size_t>(n));
      pos_ += static_cast<size_t>(n);
      break;
    }
    default:
      throw WireError("unsupported wire type " + std::to_string(tag & 7) + " at offset " + std::to_string(f.begin));
  }
  f.end = pos_;
  return true;
}

uint64_t Reader::varint() {
  uint64_t v = 0;
  for (int shift = 0; shift <= 63; shift += 7) {
    if (pos_ >= msg_.size()) throw WireError("truncated varint at offset " + std::to_string(pos_));
    const auto b = static_cast<uint8_t>(msg_[pos_++]);
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return v;
  }
  throw WireError("varint longer than 10 bytes at offset " + std::to_string(pos_));
}

void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

void put_tag(std::string& out, uint32_t number, Wire wire) {
  put_varint(out, (static_cast<uint64_t>(number) << 3) | static_cast<uint64_t>(wire));
}

void put_len(std::string& out, uint32_t number, std::string_view bytes) {
  put_tag(out, number, Wire::len);
  put_varint(out, bytes.size());
  out.append(bytes);
}

void put_raw(std::string& out, std::span<const std::byte> bytes) { out.append(as_text(bytes)); }

size_t element_size(int32_t t) {
  switch (t) {
    case 1: case 6: case 12: return 4;              // float, int32, uint32
    case 2: case 3: case 9: return 1;               // uint8, int8, bool
    case 4: case 5: case 10: case 16: return 2;     // uint16, int16, float16, bfloat16
    case 7: case 11: case 13: return 8;             // int64, double, uint64
    default: return 0;
  }
}

Initializer read_tensor(std::span<const std::byte> msg) {
  Initializer t;
  Reader r(msg);
  Field f;
  bool has_segment = false, mixed = false;
  uint32_t typed_field = 0;
  std::vector<std::byte> typed;  // bytes of float/double/int data gathered from typed fields
  std::span<const std::byte> typed_view;
  while (r.next(f)) {
    switch (f.number) {
      case kDims:
        if (f.wire == Wire::varint) {
          t.dims.push_back(static_cast<int64_t>(f.value));
        } else if (f.wire == Wire::len) {
          std::vector<std::byte> tmp;
          append_varints<int64_t>(f, tmp);
          for (size_t k = 0; k < tmp.size(); k += 8) {
            int64_t d;
            std::memcpy(&d, tmp.data() + k, 8);
            t.dims.push_back(d);
          }
        }
        break;
      case kDataType:
        if (f.wire == Wire::varint) t.data_type = static_cast<int32_t>(f.value);
        break;
      case kSegment: has_segment = true; break;
      case kName:
        if (f.wire == Wire::len) t.name = std::string(as_text(f.payload));
        break;
      case kRawData:
        if (f.wire == Wire::len) {
          t.data = f.payload;
          t.data_field = kRawData;
        }
        break;
      case kDataLocation:
        if (f.wire == Wire::varint && f.value == kExternal) t.external = true;
        break;
      case kExternalData: {
        if (f.wire != Wire::len) break;
        std::pair<std::string, std::string> kv;
        Reader er(f.payload);
        Field e;
        while (er.next(e)) {
          if (e.wire != Wire::len) continue;
          if (e.number == 1) kv.first = std::string(as_text(e.payload));
          if (e.number == 2) kv.second = std::string(as_text(e.payload));
        }
        t.external_data.push_back(std::move(kv));
        break;
      }
      case kFloatData:
      case kDoubleData:
      case kInt32Data:
      case kInt64Data: {
        if (typed_field && typed_field != f.number) mixed = true;  // several kinds: leave embedded
        typed_field = f.number;
        if ((f.number == kFloatData || f.number == kDoubleData) && f.wire == Wire::len) {
          if (typed_view.empty() && typed.empty()) {
            typed_view = f.payload;
          } else {  // several packed runs: concatenate
            typed.insert(typed.end(), typed_view.begin(), typed_view.end());
            typed_view = {};
            typed.insert(typed.end(), f.payload.begin(), f.payload.end());
          }
        } else if (f.number == kFloatData || f.number == kDoubleData) {
          typed.insert(typed.end(), typed_view.begin(), typed_view.end());
          typed_view = {};
          typed.insert(typed.end(), f.payload.begin(), f.payload.end());  // fixed32 / fixed64 bytes
        } else if (f.number == kInt64Data) {
          append_varints<int64_t>(f, typed);
        } else {
          append_varints<int32_t>(f, typed);
        }
        break;
      }
      default: break;
    }
  }
  // Typed fields become sidecar data only where their bytes are the tensor's raw layout.
  const bool typed_matches = (typed_field == kFloatData && t.data_type == FLOAT) ||
                             (typed_field == kDoubleData && t.data_type == DOUBLE) ||
                             (typed_field == kInt64Data && t.data_type == INT64) ||
                             (typed_field == kInt32Data && t.data_type == INT32);
  if (!t.data_field && typed_field && typed_matches && !mixed) {
    t.data_field = typed_field;
    if (!typed_view.empty()) {
      t.data = typed_view;
    } else {
      t.decoded = std::move(typed);
      t.data = t.decoded;
    }
  }
  if (has_segment || t.external || t.data_type == STRING) {
    t.data_field = 0;
    t.data = {};
    t.decoded.clear();
  }
  return t;
}

ModelHeader read_model_header(std::span<const std::byte> model) {
  const auto text = [](std::span<const std::byte> b) { return std::string(reinterpret_cast<const char*>(b.data()), b.size()); };
  ModelHeader h;
  Reader r(model);
  Field f;
  while (r.next(f)) {
    if (f.number == 1 && f.wire == Wire::varint) h.ir_version = static_cast<int64_t>(f.value);
    else if (f.number == 2 && f.wire == Wire::len) h.producer_name = text(f.payload);
    else if (f.number == 3 && f.wire == Wire::len) h.producer_version = text(f.payload);
    else if (f.number == 8 && f.wire == Wire::len) {  // OperatorSetIdProto { 1: domain, 2: version }
      std::pair<std::string, int64_t> opset;
      Reader o(f.payload);
      Field of;
      while (o.next(of)) {
        if (of.number == 1 && of.wire == Wire::len) opset.first = text(of.payload);
        else if (of.number == 2 && of.wire == Wire::varint) opset.second = static_cast<int64_t>(of.value);
      }
      h.opsets.push_back(std::move(opset));
    }
  }
  return h;
}

int64_t ModelHeader::default_opset() const {
  for (const auto& [domain, version] : opsets)
    if (domain.empty() || domain == "ai.onnx") return version;
  return 0;
}

namespace {
struct NodeInfo {
  std::string op;
  std::vector<std::string> inputs;
};
// The top-level graph's nodes (op type and inputs) and, if asked, its initializer names: what the checks
// below read of a model. Throws WireError on malformed input.
std::vector<NodeInfo> top_level_nodes(std::span<const std::byte> model, std::set<std::string>* initializers) {
  const auto text = [](std::span<const std::byte> b) { return std::string(reinterpret_cast<const char*>(b.data()), b.size()); };
  std::vector<NodeInfo> nodes;
  Reader r(model);
  Field f;
  while (r.next(f)) {
    if (f.number != kModelGraph || f.wire != Wire::len) continue;
    Reader g(f.payload);
    Field gf;
    while (g.next(gf)) {
      if (gf.wire != Wire::len) continue;
      if (gf.number == kGraphInitializer && initializers) {
        Reader t(gf.payload);
        Field tf;
        while (t.next(tf))
          if (tf.number == 8 && tf.wire == Wire::len) initializers->insert(text(tf.payload));  // TensorProto.name
      } else if (gf.number == 1) {  // GraphProto.node: NodeProto { 1: input, 4: op_type }
        Reader n(gf.payload);
        Field nf;
        NodeInfo node;
        while (n.next(nf)) {
          if (nf.number == 1 && nf.wire == Wire::len) node.inputs.push_back(text(nf.payload));
          else if (nf.number == 4 && nf.wire == Wire::len) node.op = text(nf.payload);
        }
        nodes.push_back(std::move(node));
      }
    }
  }
  return nodes;
}
}  // namespace

std::string control_flow_op(std::span<const std::byte> model) {
  for (const auto& node : top_level_nodes(model, nullptr))
    if (node.op == "If" || node.op == "Loop" || node.op == "Scan") return node.op;
  return "";
}

std::vector<std::string> prepacked_shared_initializers(std::span<const std::byte> model) {
  std::set<std::string> initializers;
  std::map<std::string, int> consumers;  // initializer name -> nodes reading it
  std::set<std::string> packed;          // read as input 1 (B) of a prepacking op
  const std::vector<NodeInfo> nodes = top_level_nodes(model, &initializers);
  for (const auto& [op, inputs] : nodes) {
    std::set<std::string> seen;
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (!initializers.count(inputs[i])) continue;
      if (seen.insert(inputs[i]).second) ++consumers[inputs[i]];
      if (i == 1 && (op == "MatMul" || op == "Gemm" || op == "MatMulInteger" || op == "FusedMatMul" ||
                     op == "DynamicQuantizeMatMul" || op == "MatMulNBits" || op == "QLinearMatMul"))
        packed.insert(inputs[i]);
    }
  }
  std::vector<std::string> shared;
  for (const auto& name : packed)
    if (consumers[name] > 1) shared.push_back(name);
  return shared;
}

ModelScan scan_model(std::span<const std::byte> model) {
  ModelScan scan;
  Reader r(model);
  Field f;
  bool has_graph = false;
  while (r.next(f)) {
    if (f.number != kModelGraph) continue;
    if (f.wire != Wire::len) throw WireError("ModelProto.graph has the wrong wire type");
    has_graph = true;
    Reader g(f.payload);
    Field gf;
    while (g.next(gf)) {
      if (gf.number != kGraphInitializer || gf.wire != Wire::len) continue;
      scan.initializers.push_back(read_tensor(gf.payload));
      if (scan.initializers.back().external) scan.has_external_data = true;
    }
  }
  if (!has_graph) throw WireError("no graph (ModelProto field 7) found");
  return scan;
}

std::string rewrite_model(std::span<const std::byte> model, const ModelScan& scan,
                          const std::function<std::optional<ExternalRef>(size_t index)>& place) {
  std::string out;
  Reader r(model);
  Field f;
  size_t index = 0;
  while (r.next(f)) {
    if (f.number != kModelGraph || f.wire != Wire::len) {
      put_raw(out, model.subspan(f.begin, f.end - f.begin));
      continue;
    }
    std::string graph;
    Reader g(f.payload);
    Field gf;
    while (g.next(gf)) {
      const auto whole = f.payload.subspan(gf.begin, gf.end - gf.begin);
      if (gf.number != kGraphInitializer || gf.wire != Wire::len) {
        put_raw(graph, whole);
        continue;
      }
      const size_t i = index++;
      const std::optional<ExternalRef> ref = i < scan.initializers.size() ? place(i) : std::nullopt;
      if (!ref) {
        put_raw(graph, whole);
        continue;
      }
      const uint32_t drop = scan.initializers[i].data_field;
      std::string tensor;
      Reader t(gf.payload);
      Field tf;
      while (t.next(tf)) {
        if (tf.number == kRawData || tf.number == drop || tf.number == kExternalData || tf.number == kDataLocation) {
          continue;
        }
        put_raw(tensor, gf.payload.subspan(tf.begin, tf.end - tf.begin));
      }
      auto entry = [&](std::string_view k, std::string_view v) {
        std::string e;
        put_len(e, 1, k);
        put_len(e, 2, v);
        put_len(tensor, kExternalData, e);
      };
      entry("location", ref->location);
      entry("offset", std::to_string(ref->offset));
      entry("length", std::to_string(ref->length));
      put_tag(tensor, kDataLocation, Wire::varint);
      put_varint(tensor, kExternal);
      put_len(graph, kGraphInitializer, tensor);
    }
    put_len(out, kModelGraph, graph);
  }
  return out;
}

}  // namespace transformers::engine::onnx
