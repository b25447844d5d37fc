#include "engine/onnx_quantize.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <set>
#include <stdexcept>
#include <vector>

#include "engine/onnx_protobuf.hpp"

namespace transformers::engine::onnx {

namespace {
// onnx.proto field numbers.
constexpr uint32_t kModelGraph = 7;
constexpr uint32_t kGraphNode = 1, kGraphInitializer = 5, kGraphInput = 11;
constexpr uint32_t kNodeInput = 1, kNodeOutput = 2, kNodeName = 3, kNodeOpType = 4, kNodeAttribute = 5, kNodeDomain = 7;
constexpr uint32_t kValueInfoName = 1;

std::string str(std::span<const std::byte> b) { return std::string(reinterpret_cast<const char*>(b.data()), b.size()); }

struct Node {
  std::vector<std::string> inputs, outputs;
  std::string name, op_type, domain;
};

Node read_node(std::span<const std::byte> msg) {
  Node n;
  Reader r(msg);
  Field f;
  while (r.next(f)) {
    if (f.wire != Wire::len) continue;
    if (f.number == kNodeInput) n.inputs.push_back(str(f.payload));
    else if (f.number == kNodeOutput) n.outputs.push_back(str(f.payload));
    else if (f.number == kNodeName) n.name = str(f.payload);
    else if (f.number == kNodeOpType) n.op_type = str(f.payload);
    else if (f.number == kNodeDomain) n.domain = str(f.payload);
  }
  return n;
}

// An INT attribute (AttributeProto: name 1, i 3, type 20 = INT).
std::string int_attribute(const std::string& name, int64_t value) {
  std::string a;
  put_len(a, 1, name);
  put_tag(a, 3, Wire::varint);
  put_varint(a, static_cast<uint64_t>(value));
  put_tag(a, 20, Wire::varint);
  put_varint(a, 2);
  return a;
}

std::string node(const std::string& op, const std::vector<std::string>& in, const std::vector<std::string>& out,
                 const std::string& name, const std::string& attribute = {}) {
  std::string n;
  for (const auto& i : in) put_len(n, kNodeInput, i);
  for (const auto& o : out) put_len(n, kNodeOutput, o);
  put_len(n, kNodeName, name);
  put_len(n, kNodeOpType, op);
  if (!attribute.empty()) put_len(n, kNodeAttribute, attribute);
  return n;
}

// TensorProto: dims 1, data_type 2, name 8, raw_data 9.
std::string tensor(const std::string& name, int32_t type, const std::vector<int64_t>& dims, const void* data, size_t bytes) {
  std::string t;
  for (int64_t d : dims) {
    put_tag(t, 1, Wire::varint);
    put_varint(t, static_cast<uint64_t>(d));
  }
  put_tag(t, 2, Wire::varint);
  put_varint(t, static_cast<uint64_t>(type));
  put_len(t, 8, name);
  put_len(t, 9, std::string_view(static_cast<const char*>(data), bytes));
  return t;
}

std::vector<float> floats_of(const Initializer& t) {
  std::vector<float> v(t.data.size() / sizeof(float));
  std::memcpy(v.data(), t.data.data(), v.size() * sizeof(float));
  return v;
}

// numpy's np.round on float32: half to even (the default rounding mode).
float round_even(float x) { return std::nearbyint(x); }

float symmetric_scale(float maxabs, float qmax) {
  return static_cast<float>((maxabs < 1e-8 ? 1e-8 : static_cast<double>(maxabs)) / static_cast<double>(qmax));
}

// Symmetric int8: scale = max|w| / 127 (in double, as numpy's scalar arithmetic), one for the tensor, or
// one per output column of W [K, N] (per_channel: the scales and zero points are [N] vectors, which
// MatMulInteger's b_zero_point and the output Mul broadcast).
std::string quantize_weight(const Initializer& w, bool per_channel, bool reduce_range, std::string& out_tensors) {
  const float qmax = reduce_range ? 63.0f : 127.0f;
  const std::vector<float> v = floats_of(w);
  const size_t cols = static_cast<size_t>(w.dims[1]);
  std::vector<float> maxabs(per_channel ? cols : 1, 0.0f);
  for (size_t i = 0; i < v.size(); ++i) {
    float& m = maxabs[per_channel ? i % cols : 0];
    m = std::max(m, std::fabs(v[i]));
  }
  std::vector<float> scale(maxabs.size());
  for (size_t c = 0; c < scale.size(); ++c) scale[c] = symmetric_scale(maxabs[c], qmax);
  std::vector<int8_t> q(v.size());
  for (size_t i = 0; i < v.size(); ++i)
    q[i] = static_cast<int8_t>(std::clamp(round_even(v[i] / scale[per_channel ? i % cols : 0]), -qmax, qmax));
  const std::vector<int8_t> zero(scale.size(), 0);
  const std::vector<int64_t> shape = per_channel ? std::vector<int64_t>{static_cast<int64_t>(cols)} : std::vector<int64_t>{};
  put_len(out_tensors, kGraphInitializer, tensor(w.name + "_quantized", INT8, w.dims, q.data(), q.size()));
  put_len(out_tensors, kGraphInitializer, tensor(w.name + "_scale", FLOAT, shape, scale.data(), scale.size() * sizeof(float)));
  put_len(out_tensors, kGraphInitializer, tensor(w.name + "_zero_point", INT8, shape, zero.data(), zero.size()));
  return w.name;
}

// Asymmetric uint8 over [min(e, 0), max(e, 0)], one scale and zero point for the table.
std::string quantize_table(const Initializer& e, std::string& out_tensors) {
  const std::vector<float> v = floats_of(e);
  double lo = 0, hi = 0;
  for (float x : v) {
    lo = std::min(lo, static_cast<double>(x));
    hi = std::max(hi, static_cast<double>(x));
  }
  const float scale = static_cast<float>(std::max(hi - lo, 1e-8) / 255.0);
  const uint8_t zp = static_cast<uint8_t>(std::clamp(std::nearbyint(-lo / static_cast<double>(scale)), 0.0, 255.0));
  std::vector<uint8_t> q(v.size());
  for (size_t i = 0; i < v.size(); ++i)
    q[i] = static_cast<uint8_t>(std::clamp(round_even(v[i] / scale) + static_cast<float>(zp), 0.0f, 255.0f));
  put_len(out_tensors, kGraphInitializer, tensor(e.name + "_quantized", UINT8, e.dims, q.data(), q.size()));
  put_len(out_tensors, kGraphInitializer, tensor(e.name + "_scale", FLOAT, {}, &scale, sizeof scale));
  put_len(out_tensors, kGraphInitializer, tensor(e.name + "_zero_point", UINT8, {}, &zp, 1));
  return e.name;
}

}  // namespace

std::string quantize_dynamic(std::span<const std::byte> model, const QuantizeOptions& options, QuantizeStats& stats) {
  stats = {};
  if (const int64_t opset = read_model_header(model).default_opset(); opset < 11) {
    throw std::invalid_argument("the model's opset is " + std::to_string(opset) +
                                "; DynamicQuantizeLinear needs opset 11 or newer");
  }
  std::string out;
  Reader r(model);
  Field f;
  bool has_graph = false;
  while (r.next(f)) {
    if (f.number != kModelGraph || f.wire != Wire::len) {
      put_raw(out, model.subspan(f.begin, f.end - f.begin));
      continue;
    }
    has_graph = true;
    // First pass: the 2-D float initializers (quantizable weights) and the nodes.
    std::map<std::string, Initializer> weights;
    std::vector<Node> nodes;
    {
      Reader g(f.payload);
      Field gf;
      while (g.next(gf)) {
        if (gf.wire != Wire::len) continue;
        if (gf.number == kGraphInitializer) {
          Initializer t = read_tensor(gf.payload);
          if (t.external) throw std::invalid_argument("initializer '" + t.name + "' is in external data (not supported yet)");
          if (t.data_type == FLOAT && t.dims.size() == 2 && t.data_field != 0 &&
              t.data.size() == static_cast<size_t>(t.dims[0] * t.dims[1]) * sizeof(float))
            weights.emplace(t.name, std::move(t));
        } else if (gf.number == kGraphNode) {
          nodes.push_back(read_node(gf.payload));
        }
      }
    }
    // Which nodes are rewritten, and which weights every remaining use lets us drop.
    auto rewritten = [&](const Node& n) {
      if (!n.domain.empty() && n.domain != "ai.onnx") return false;
      if (n.op_type == "MatMul" && n.inputs.size() == 2 && weights.count(n.inputs[1])) return true;
      return options.embeddings && n.op_type == "Gather" && n.inputs.size() == 2 && weights.count(n.inputs[0]);
    };
    std::set<std::string> still_used;  // weights some untouched node also reads: kept as they are
    for (const auto& n : nodes)
      if (!rewritten(n))
        for (const auto& i : n.inputs)
          if (weights.count(i)) still_used.insert(i);
    std::string graph, added;
    std::set<std::string> quantized, dropped;
    std::map<std::string, std::vector<std::string>> activation_q;  // X -> {X_q, X_scale, X_zero_point}
    Reader g(f.payload);
    Field gf;
    size_t node_index = 0;
    while (g.next(gf)) {
      const auto whole = f.payload.subspan(gf.begin, gf.end - gf.begin);
      if (gf.number == kGraphNode && gf.wire == Wire::len) {
        const Node& n = nodes[node_index++];
        if (!rewritten(n)) {
          put_raw(graph, whole);
          continue;
        }
        const std::string base = n.name.empty() ? n.outputs.at(0) : n.name;
        const std::string& y = n.outputs.at(0);
        if (n.op_type == "MatMul") {
          const std::string& x = n.inputs[0];
          const std::string& w = n.inputs[1];
          if (!quantized.count(w)) quantized.insert(quantize_weight(weights.at(w), options.per_channel, options.reduce_range, added));
          if (!activation_q.count(x)) {
            activation_q[x] = {x + "_quantized", x + "_scale", x + "_zero_point"};
            put_len(graph, kGraphNode, node("DynamicQuantizeLinear", {x}, activation_q[x], x + "_QuantizeLinear"));
          }
          const auto& q = activation_q[x];
          put_len(graph, kGraphNode, node("MatMulInteger", {q[0], w + "_quantized", q[2], w + "_zero_point"},
                                          {y + "_output_quantized"}, base + "_quant"));
          put_len(graph, kGraphNode, node("Cast", {y + "_output_quantized"}, {y + "_output_quantized_cast"},
                                          base + "_quant_cast", int_attribute("to", FLOAT)));
          put_len(graph, kGraphNode, node("Mul", {q[1], w + "_scale"}, {base + "_quant_scales_mul:0"},
                                          base + "_quant_scales_mul"));
          put_len(graph, kGraphNode, node("Mul", {y + "_output_quantized_cast", base + "_quant_scales_mul:0"}, {y},
                                          base + "_quant_output_scale_mul"));
          ++stats.matmuls;
        } else {
          const std::string& e = n.inputs[0];
          if (!quantized.count(e)) quantized.insert(quantize_table(weights.at(e), added));
          put_len(graph, kGraphNode, node("Gather", {e + "_quantized", n.inputs[1]}, {y + "_quantized"},
                                          base + "_quant", int_attribute("axis", 0)));
          put_len(graph, kGraphNode, node("DequantizeLinear", {y + "_quantized", e + "_scale", e + "_zero_point"}, {y},
                                          base + "_DequantizeLinear"));
          ++stats.gathers;
        }
        continue;
      }
      if ((gf.number == kGraphInitializer || gf.number == kGraphInput) && gf.wire == Wire::len) {
        std::string name;
        if (gf.number == kGraphInitializer) {
          name = read_tensor(gf.payload).name;
        } else {
          Reader v(gf.payload);
          Field vf;
          while (v.next(vf))
            if (vf.number == kValueInfoName && vf.wire == Wire::len) name = str(vf.payload);
        }
        // A quantized weight no other node reads is dropped (and its graph input, in IR < 4 models).
        if (weights.count(name) && !still_used.count(name) &&
            std::any_of(nodes.begin(), nodes.end(), [&](const Node& n) { return rewritten(n) && std::find(n.inputs.begin(), n.inputs.end(), name) != n.inputs.end(); })) {
          dropped.insert(name);
          continue;
        }
      }
      put_raw(graph, whole);
    }
    graph += added;
    stats.weights = quantized.size();
    put_len(out, kModelGraph, graph);
  }
  if (!has_graph) throw WireError("no graph (ModelProto field 7) found");
  if (stats.matmuls + stats.gathers == 0)
    throw std::invalid_argument("no MatMul or Gather with a 2-D float initializer: nothing to quantize");
  return out;
}

}  // namespace transformers::engine::onnx
