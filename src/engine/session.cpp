#include <onnxruntime_cxx_api.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>

#include "core/files.hpp"
#include "engine/model_weights.hpp"
#include "engine/runtime.hpp"
#include "engine/session_memory.hpp"
#include "transformers/memory.hpp"
#include "transformers/engine.hpp"
#include "transformers/error.hpp"

namespace transformers {

namespace {

ElementType from_onnx(ONNXTensorElementDataType t) {
  switch (t) {
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT: return ElementType::float32;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16: return ElementType::float16;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64: return ElementType::int64;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32: return ElementType::int32;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT8: return ElementType::int8;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8: return ElementType::uint8;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL: return ElementType::boolean;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_STRING: return ElementType::string;
    default: return ElementType::other;
  }
}

ONNXTensorElementDataType to_onnx(ElementType t) {
  switch (t) {
    case ElementType::float32: return ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT;
    case ElementType::float16: return ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16;
    case ElementType::int64: return ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64;
    case ElementType::int32: return ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32;
    case ElementType::int8: return ONNX_TENSOR_ELEMENT_DATA_TYPE_INT8;
    case ElementType::uint8: return ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8;
    case ElementType::boolean: return ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL;
    default: return ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED;
  }
}

size_t element_size(ElementType t) {
  switch (t) {
    case ElementType::float32:
    case ElementType::int32: return 4;
    case ElementType::float16: return 2;
    case ElementType::int64: return 8;
    case ElementType::int8:
    case ElementType::uint8:
    case ElementType::boolean: return 1;
    default: return 0;
  }
}


std::string dims_string(const std::vector<int64_t>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i) s += ", ";
    s += dims[i] < 0 ? std::string("?") : std::to_string(dims[i]);
  }
  return s + "]";
}

TensorInfo describe(const std::string& name, const Ort::TypeInfo& type_info) {
  TensorInfo info;
  info.name = name;
  if (type_info.GetONNXType() != ONNX_TYPE_TENSOR) return info;
  auto t = type_info.GetTensorTypeAndShapeInfo();
  info.type = from_onnx(t.GetElementType());
  info.dims = t.GetShape();
  info.dim_names.resize(info.dims.size());
  std::vector<const char*> symbolic(info.dims.size(), nullptr);
  t.GetSymbolicDimensions(symbolic.data(), symbolic.size());
  for (size_t i = 0; i < symbolic.size(); ++i) info.dim_names[i] = symbolic[i] ? symbolic[i] : "";
  return info;
}

// IEEE half -> float, for fp16 graphs whose outputs stay half precision.
float half_to_float(uint16_t h) {
  const uint32_t sign = (h & 0x8000u) << 16, exp = (h >> 10) & 0x1f, mant = h & 0x3ffu;
  uint32_t bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {  // subnormal: normalise
      int e = -1;
      uint32_t m = mant;
      do {
        ++e;
        m <<= 1;
      } while ((m & 0x400u) == 0);
      bits = sign | static_cast<uint32_t>(127 - 15 - e) << 23 | (m & 0x3ffu) << 13;
    }
  } else if (exp == 31) {
    bits = sign | 0x7f800000u | mant << 13;
  } else {
    bits = sign | (exp + 127 - 15) << 23 | mant << 13;
  }
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

// With prepacking on, sessions of one model file share one container of prepacked weights (ONNX Runtime
// reuses them across sessions whose initializers come from AddInitializer, as file-backed weights do), so a
// second session does not repeat the private copies.
std::shared_ptr<Ort::PrepackedWeightsContainer> shared_prepacked_weights(const std::filesystem::path& model) {
  static std::mutex mutex;
  static auto* registry = new std::map<std::filesystem::path, std::weak_ptr<Ort::PrepackedWeightsContainer>>;
  std::lock_guard lock(mutex);
  auto& slot = (*registry)[model];
  auto container = slot.lock();
  if (!container) {
    container = std::make_shared<Ort::PrepackedWeightsContainer>();
    slot = container;
  }
  return container;
}

}  // namespace

const char* element_type_name(ElementType type) {
  switch (type) {
    case ElementType::float32: return "float32";
    case ElementType::float16: return "float16";
    case ElementType::int64: return "int64";
    case ElementType::int32: return "int32";
    case ElementType::int8: return "int8";
    case ElementType::uint8: return "uint8";
    case ElementType::boolean: return "bool";
    case ElementType::string: return "string";
    case ElementType::other: return "other";
  }
  return "other";
}

size_t OutputTensor::element_count() const {
  size_t n = 1;
  for (int64_t d : dims) n *= static_cast<size_t>(d);
  return n;
}

struct Session::Impl {
  std::filesystem::path path;
  uint64_t memory_owner = 0;
  engine::PreparedModel prepared;  // declared before the session: destroyed after it
  std::shared_ptr<Ort::PrepackedWeightsContainer> prepacked;  // likewise: outlives the session
  Ort::Session session{nullptr};
  std::vector<TensorInfo> inputs, outputs;
  std::vector<const char*> output_name_ptrs;
  Ort::MemoryInfo cpu = Ort::MemoryInfo::CreateCpu(OrtDeviceAllocator, OrtMemTypeDefault);
};

Session::Session(const std::filesystem::path& model_file, const SessionOptions& options)
    : impl_(std::make_unique<Impl>()) {
  impl_->path = model_file;
  core::require_regular_file(model_file, "ONNX model file");
  check_intra_op_threads(options.intra_op_threads, "SessionOptions.intra_op_threads");
  // A load our allocator refused (the budget, or a test's injected fault) is that, not a damaged model.
  const uint64_t refused_before = allocator_stats().refused;
  const auto refused = [&] { return allocator_stats().refused > refused_before; };
  try {
    Ort::SessionOptions so;
    engine::configure_session_memory(so, options);
    impl_->memory_owner = options.memory_owner;
    impl_->prepared = engine::prepare_model(model_file, options);
    if (impl_->prepared.attach) impl_->prepared.attach(so);
    engine::MemoryScope scope(options.memory_owner);
    if (options.intra_op_threads == 0) {
      so.DisablePerSessionThreads();  // use the environment's global pool
    } else {
      so.SetIntraOpNumThreads(options.intra_op_threads);
      so.SetInterOpNumThreads(1);
    }
    // Prepacked weights come from the optimized model's mapped file, or are shared in memory between the
    // sessions of one file in this process (ONNX Runtime's container) when the model is read plainly.
    const auto create = [&] {
      // A cache entry is already optimized: running the optimizers over it again would find nothing to
      // change (2-5% of a warm load, docs/performance.md).
      so.SetGraphOptimizationLevel(impl_->prepared.from_optimized_cache ? ORT_DISABLE_ALL
                                                                        : engine::to_onnx_level(options.optimization));
      if (options.prepack_weights && !impl_->prepared.from_optimized_cache) impl_->prepacked = shared_prepacked_weights(model_file);
      impl_->session = Ort::Session(engine::env(), impl_->prepared.path.c_str(), so,
                                    impl_->prepacked ? static_cast<OrtPrepackedWeightsContainer*>(*impl_->prepacked)
                                                     : nullptr);
    };
    try {
      create();
    } catch (const Ort::Exception&) {
      if (!impl_->prepared.rebuild || refused()) throw;
      impl_->prepared = impl_->prepared.rebuild();  // a damaged cache entry: written again, loaded once more
      create();
    }
    Ort::AllocatorWithDefaultOptions alloc;
    for (size_t i = 0; i < impl_->session.GetInputCount(); ++i) {
      impl_->inputs.push_back(describe(impl_->session.GetInputNameAllocated(i, alloc).get(),
                                       impl_->session.GetInputTypeInfo(i)));
    }
    for (size_t i = 0; i < impl_->session.GetOutputCount(); ++i) {
      impl_->outputs.push_back(describe(impl_->session.GetOutputNameAllocated(i, alloc).get(),
                                        impl_->session.GetOutputTypeInfo(i)));
    }
  } catch (const Ort::Exception& e) {
    if (refused()) throw BudgetExceededError("loading " + model_file.string() + " was refused by the memory limit: " + last_refusal());
    throw ModelLoadError("cannot load ONNX model " + model_file.string() + ": " + e.what());
  }
}

Session::Session(Session&&) noexcept = default;
Session& Session::operator=(Session&&) noexcept = default;
Session::~Session() = default;

const std::vector<TensorInfo>& Session::inputs() const { return impl_->inputs; }
const std::vector<TensorInfo>& Session::outputs() const { return impl_->outputs; }
const std::filesystem::path& Session::path() const { return impl_->path; }
uint64_t Session::mapped_weight_bytes() const { return impl_->prepared.mapped_bytes; }

bool Session::has_input(std::string_view name) const {
  for (const auto& i : impl_->inputs)
    if (i.name == name) return true;
  return false;
}

namespace {
// Every graph input given once, nothing extra, types, ranks, fixed dims and byte sizes: the caller's inputs
// in the graph's order. InvalidInputError naming the tensor.
std::vector<const InputTensor*> ordered_inputs(const std::vector<TensorInfo>& graph_inputs,
                                               std::span<const InputTensor> inputs, const std::string& where) {
  std::vector<const InputTensor*> ordered(graph_inputs.size(), nullptr);
  for (const auto& in : inputs) {
    size_t k = 0;
    while (k < graph_inputs.size() && graph_inputs[k].name != in.name) ++k;
    if (k == graph_inputs.size()) {
      std::string names;
      for (const auto& i : graph_inputs) names += (names.empty() ? "" : ", ") + i.name;
      throw InvalidInputError("unexpected input '" + std::string(in.name) + "'" + where + "; the graph takes: " + names);
    }
    if (ordered[k]) throw InvalidInputError("input '" + std::string(in.name) + "' given twice" + where);
    const TensorInfo& want = graph_inputs[k];
    if (in.type != want.type) {
      throw InvalidInputError("input '" + want.name + "' must be " + element_type_name(want.type) + ", got " +
                              element_type_name(in.type) + where);
    }
    if (in.dims.size() != want.dims.size()) {
      throw InvalidInputError("input '" + want.name + "' must have rank " + std::to_string(want.dims.size()) + " " +
                              dims_string(want.dims) + ", got " + dims_string(in.dims) + where);
    }
    size_t count = 1;
    for (size_t d = 0; d < in.dims.size(); ++d) {
      if (in.dims[d] < 0 || (want.dims[d] >= 0 && in.dims[d] != want.dims[d])) {
        throw InvalidInputError("input '" + want.name + "' has shape " + dims_string(in.dims) + ", the graph expects " +
                                dims_string(want.dims) + where);
      }
      count *= static_cast<size_t>(in.dims[d]);
    }
    if (count * element_size(in.type) != in.byte_size) {
      throw InvalidInputError("input '" + want.name + "' has " + std::to_string(in.byte_size) + " bytes, shape " +
                              dims_string(in.dims) + " of " + element_type_name(in.type) + " needs " +
                              std::to_string(count * element_size(in.type)) + where);
    }
    ordered[k] = &in;
  }
  for (size_t k = 0; k < ordered.size(); ++k) {
    if (!ordered[k]) throw InvalidInputError("missing input '" + graph_inputs[k].name + "'" + where);
  }

  return ordered;
}
}  // namespace

std::vector<OutputTensor> Session::run(std::span<const InputTensor> inputs,
                                       const std::vector<std::string>& output_names) const {
  const Impl& s = *impl_;
  const std::string where = " (model " + s.path.filename().string() + ")";
  const std::vector<const InputTensor*> ordered = ordered_inputs(s.inputs, inputs, where);
  std::vector<Ort::Value> values;
  std::vector<const char*> in_names;
  values.reserve(ordered.size());
  for (size_t k = 0; k < ordered.size(); ++k) {
    const InputTensor* in = ordered[k];
    values.push_back(Ort::Value::CreateTensor(s.cpu, const_cast<void*>(in->data), in->byte_size, in->dims.data(),
                                              in->dims.size(), to_onnx(in->type)));
    in_names.push_back(s.inputs[k].name.c_str());  // NUL-terminated, unlike the caller's string_view
  }
  std::vector<const char*> out_names;
  if (output_names.empty()) {
    for (const auto& o : s.outputs) out_names.push_back(o.name.c_str());
  } else {
    for (const auto& n : output_names) {
      bool found = false;
      for (const auto& o : s.outputs) found = found || o.name == n;
      if (!found) throw InvalidInputError("the graph has no output '" + n + "'" + where);
      out_names.push_back(n.c_str());
    }
  }

  std::vector<Ort::Value> results;
  engine::MemoryScope scope(s.memory_owner);
  const uint64_t refused_before = allocator_stats().refused;
  try {
    results = const_cast<Ort::Session&>(s.session)
                  .Run(Ort::RunOptions{nullptr}, in_names.data(), values.data(), values.size(), out_names.data(),
                       out_names.size());
  } catch (const Ort::Exception& e) {
    if (allocator_stats().refused > refused_before) {
      throw BudgetExceededError("inference refused by the memory limit" + where + ": " + last_refusal());
    }
    throw Error(std::string("inference failed") + where + ": " + e.what());
  }

  std::vector<OutputTensor> out(results.size());
  for (size_t i = 0; i < results.size(); ++i) {
    auto info = results[i].GetTensorTypeAndShapeInfo();
    OutputTensor& o = out[i];
    o.name = out_names[i];
    o.type = from_onnx(info.GetElementType());
    o.dims = info.GetShape();
    const size_t n = info.GetElementCount();
    if (o.type == ElementType::float32) {
      const float* p = results[i].GetTensorData<float>();
      o.data.assign(p, p + n);
    } else if (o.type == ElementType::float16) {
      const auto* p = static_cast<const uint16_t*>(results[i].GetTensorRawData());
      o.data.resize(n);
      for (size_t j = 0; j < n; ++j) o.data[j] = half_to_float(p[j]);
    } else if (o.type == ElementType::int64) {
      const int64_t* p = results[i].GetTensorData<int64_t>();
      o.int_data.assign(p, p + n);
    } else if (o.type == ElementType::int32) {
      const int32_t* p = results[i].GetTensorData<int32_t>();
      o.int_data.assign(p, p + n);
    } else if (o.type == ElementType::int8) {
      const int8_t* p = results[i].GetTensorData<int8_t>();
      o.int_data.assign(p, p + n);
    } else if (o.type == ElementType::uint8 || o.type == ElementType::boolean) {
      const auto* p = static_cast<const uint8_t*>(results[i].GetTensorRawData());  // ONNX bool: one byte
      o.int_data.assign(p, p + n);
    } else {
      throw InvalidInputError("output '" + o.name + "' is " + element_type_name(o.type) +
                              "; numeric and boolean outputs are returned, not this type" + where);
    }
  }
  return out;
}

void Session::run_into(std::span<const InputTensor> inputs, std::span<const OutputBuffer> outputs) const {
  const Impl& s = *impl_;
  const std::string where = " (model " + s.path.filename().string() + ")";
  const std::vector<const InputTensor*> ordered = ordered_inputs(s.inputs, inputs, where);
  Ort::IoBinding binding(const_cast<Ort::Session&>(s.session));
  for (size_t k = 0; k < ordered.size(); ++k) {
    const InputTensor* in = ordered[k];
    binding.BindInput(s.inputs[k].name.c_str(),
                      Ort::Value::CreateTensor(s.cpu, const_cast<void*>(in->data), in->byte_size, in->dims.data(),
                                               in->dims.size(), to_onnx(in->type)));
  }
  for (const auto& out : outputs) {
    const TensorInfo* info = nullptr;
    for (const auto& o : s.outputs)
      if (o.name == out.name) info = &o;
    if (!info) throw InvalidInputError("the graph has no output '" + std::string(out.name) + "'" + where);
    size_t count = 1;
    for (int64_t d : out.dims) count *= static_cast<size_t>(std::max<int64_t>(d, 0));
    if (out.type != info->type || out.dims.size() != info->dims.size() || count * element_size(out.type) > out.byte_size)
      throw InvalidInputError("output buffer '" + info->name + "' of shape " + dims_string(out.dims) + " (" +
                              element_type_name(out.type) + ", " + std::to_string(out.byte_size) +
                              " bytes) does not fit the graph's " + dims_string(info->dims) + " " +
                              element_type_name(info->type) + where);
    binding.BindOutput(info->name.c_str(), Ort::Value::CreateTensor(s.cpu, out.data, count * element_size(out.type),
                                                                    out.dims.data(), out.dims.size(), to_onnx(out.type)));
  }
  engine::MemoryScope scope(s.memory_owner);
  const uint64_t refused_before = allocator_stats().refused;
  try {
    const_cast<Ort::Session&>(s.session).Run(Ort::RunOptions{nullptr}, binding);
  } catch (const Ort::Exception& e) {
    if (allocator_stats().refused > refused_before) {
      throw BudgetExceededError("inference refused by the memory limit" + where + ": " + last_refusal());
    }
    throw Error(std::string("inference failed") + where + ": " + e.what());
  }
  // A graph output ONNX Runtime could not write in place (a different shape than bound) would be a new
  // tensor: refuse it rather than read a stale buffer.
  std::vector<Ort::Value> produced = binding.GetOutputValues();
  for (size_t i = 0; i < produced.size() && i < outputs.size(); ++i) {
    if (produced[i].GetTensorRawData() != outputs[i].data)
      throw Error("output '" + std::string(outputs[i].name) + "' was not written into its bound buffer (its shape " +
                  dims_string(produced[i].GetTensorTypeAndShapeInfo().GetShape()) + " differs from the bound " +
                  dims_string(outputs[i].dims) + ")" + where);
  }
}

}  // namespace transformers
