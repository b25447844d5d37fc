// The ONNX Runtime integration: one process-wide environment and sessions over single graphs.
// No ONNX Runtime type appears here; users of the library never need its headers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace transformers {

// Process-wide engine settings. Apply with configure_runtime() before the first pipeline is created.
struct RuntimeOptions {
  int intra_op_threads = 0;     // global intra-op pool size; 0 = one per core
  // Threads spin briefly between ops: lower latency, more CPU while idle. runtime_options() starts from
  // TRANSFORMERS_CPP_ORT_SPINNING=0|1 when it is set (another value: InvalidInputError at the first session).
  bool allow_spinning = true;
  // ONNX Runtime log level: 0 verbose .. 4 fatal. Fatal by default: the errors it would print come back
  // as our exceptions (with its message), so printing them on stderr as well only doubles them.
  int log_severity = 4;
};

// Throws InvalidInputError if the environment already exists with different settings.
void configure_runtime(const RuntimeOptions& options);
RuntimeOptions runtime_options();

// The most intra-op threads a session, the runtime or a worker accepts: 4 per core this process may run
// on (at least 4). More only slows a call down (1000 threads made a 0.13 s call take 43 s) or exhausts the
// machine; asking for more is an InvalidInputError naming the limit, not a silent cap.
int max_intra_op_threads();
// The version of the ONNX Runtime library loaded at run time ("1.30.0").
std::string onnxruntime_version();

// Dynamic int8 quantization (dtype q8, what Transformers.js' model_quantized.onnx files hold): MatMuls with
// a constant weight become DynamicQuantizeLinear + MatMulInteger, embedding Gathers read a uint8 table.
// Writes `output` atomically. ModelLoadError naming the file when it cannot be read, parsed or quantized.
struct QuantizeResult {
  size_t matmuls = 0, gathers = 0, weights = 0;
  uint64_t input_bytes = 0, output_bytes = 0;
};
struct QuantizeOptions {
  bool per_channel = false;  // a scale per output column of each MatMul weight (more accurate, same speed)
  bool embeddings = true;    // embedding tables as uint8 too (a smaller file; off keeps them float)
  // 7-bit weights (±63): CPUs without VNNI add u8*s8 pairs in 16 bits with saturation; with 7-bit weights
  // a pair cannot overflow, so the result is the same on every x86-64 CPU (docs/testing.md).
  bool reduce_range = false;
};
QuantizeResult quantize_dynamic_int8(const std::filesystem::path& input, const std::filesystem::path& output,
                                     const QuantizeOptions& options = {});

// The weights cache (optimized models and weight sidecars, docs/memory-weights.md). `dir` empty = the
// default folder ($XDG_CACHE_HOME/transformers-cpp/weights, else ~/.cache/transformers-cpp/weights).
struct WeightsCacheEntry {
  std::filesystem::path path;  // the entry's folder (optimized) or path stem (sidecar: .onnx + .weights)
  std::string kind;            // "optimized" or "sidecar"
  uint64_t bytes = 0;
  std::filesystem::file_time_type last_used;  // updated by every load that uses it
};
std::filesystem::path default_weights_cache_dir();
std::vector<WeightsCacheEntry> weights_cache_entries(const std::filesystem::path& dir = {});  // newest first
uint64_t weights_cache_bytes(const std::filesystem::path& dir = {});
// Removes least-recently-used entries until the cache holds at most max_bytes (the most recent entry
// always stays). Returns how many were removed. A process that still maps a removed entry keeps reading
// it (Linux keeps an unlinked file's pages for its mappings); the next load writes it again.
size_t prune_weights_cache(uint64_t max_bytes, const std::filesystem::path& dir = {});
void clear_weights_cache(const std::filesystem::path& dir = {});
// A limit applied after every new cache entry (0 = none, the default; or TRANSFORMERS_CPP_CACHE_MAX_MB).
void set_weights_cache_limit(uint64_t max_bytes);
uint64_t weights_cache_limit();
// Throws InvalidInputError("<what> must be 0 (one per core) .. max_intra_op_threads(), got N") when out of range.
void check_intra_op_threads(int threads, const char* what);

enum class ElementType { float32, float16, int64, int32, int8, uint8, boolean, string, other };
const char* element_type_name(ElementType type);

// Name, element type and shape of a graph input or output; -1 in dims is a dynamic axis.
struct TensorInfo {
  std::string name;
  ElementType type = ElementType::other;
  std::vector<int64_t> dims;
  std::vector<std::string> dim_names;  // symbolic names of dynamic axes ("" where none)
};

enum class GraphOptimization { disabled, basic, extended, all };

struct SessionOptions {
  // 0 = run on the process-wide thread pool (recommended); N > 0 = a private pool of N threads.
  int intra_op_threads = 0;
  GraphOptimization optimization = GraphOptimization::all;
  // Serve initializers from a memory-mapped file shared by every session of the same model file
  // (docs/memory.md). Off = ONNX Runtime reads and copies the weights itself.
  bool file_backed_weights = true;
  // The cache folder of optimized models (and of weight sidecars); empty = the default one
  // ($XDG_CACHE_HOME/transformers-cpp/weights, else ~/.cache/transformers-cpp/weights; docs/memory.md).
  std::filesystem::path weights_cache_dir;
  // Prepacked MatMul weights (ONNX Runtime's MLAS layout: the fast path). With file_backed_weights (the
  // default) they come from the optimized-model cache, written once per model file and mapped read-only,
  // so they cost no private memory. Off: the weights are served unpacked from the sidecar and MLAS packs
  // them on every call (slower at small batches, docs/performance.md). Without file_backed_weights they
  // are packed onto the heap, shared by the sessions of one file in this process.
  bool prepack_weights = true;
  // Accounting owner of this session's allocations (0 = unattributed); pipelines set it.
  uint64_t memory_owner = 0;
};

// A borrowed input: the caller keeps data alive during run().
struct InputTensor {
  std::string_view name;
  ElementType type;
  std::vector<int64_t> dims;
  const void* data;
  size_t byte_size;
};

// An owned output (float outputs are exposed as float32; other types keep their raw bytes).
struct OutputTensor {
  std::string name;
  ElementType type = ElementType::other;
  std::vector<int64_t> dims;
  std::vector<float> data;        // filled for float32 (and float16, converted)
  std::vector<int64_t> int_data;  // filled for int64, int32, int8, uint8 and bool outputs (widened)
  size_t element_count() const;
};

// A caller-owned buffer a graph output is written into (ONNX Runtime's I/O binding): generation's KV cache
// and logits, so that a step allocates and copies nothing for them.
struct OutputBuffer {
  std::string_view name;
  ElementType type;
  std::vector<int64_t> dims;  // the output's exact shape for this run
  void* data;
  size_t byte_size;  // capacity; at least the shape's size
};

class Session {
 public:
  // Throws ModelLoadError naming the file when it is missing or not a valid graph.
  Session(const std::filesystem::path& model_file, const SessionOptions& options = {});
  Session(Session&&) noexcept;
  Session& operator=(Session&&) noexcept;
  ~Session();

  const std::vector<TensorInfo>& inputs() const;
  const std::vector<TensorInfo>& outputs() const;
  bool has_input(std::string_view name) const;
  const std::filesystem::path& path() const;
  // Bytes of weights served from a shared file mapping (0 when ONNX Runtime holds its own copy).
  uint64_t mapped_weight_bytes() const;

  // Validates names, element types and ranks (InvalidInputError naming the tensor), then runs.
  // output_names empty = every output.
  std::vector<OutputTensor> run(std::span<const InputTensor> inputs,
                                const std::vector<std::string>& output_names = {}) const;
  // The same validation, then ONNX Runtime writes the named outputs into the caller's buffers (other outputs
  // are not produced). InvalidInputError for a buffer that does not fit the graph's output.
  void run_into(std::span<const InputTensor> inputs, std::span<const OutputBuffer> outputs) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace transformers
