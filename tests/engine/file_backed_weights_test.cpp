// File-backed weights (src/engine/model_weights.cpp): the sidecar cache, sharing one mapping
// between sessions, identical answers, and the failure modes. Every test uses its own cache folder.
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <random>
#include <thread>

#include "engine/model_weights.hpp"
#include "engine/onnx_protobuf.hpp"
#include "test_support.hpp"
#include "transformers/engine.hpp"
#include "transformers/error.hpp"
#include "transformers/memory.hpp"

using namespace transformers;
namespace fs = std::filesystem;
namespace onnx = transformers::engine::onnx;

namespace {

struct SidecarScratch : fixtures::ScratchDir {
  SidecarScratch() : ScratchDir("fbw") {}
};

std::vector<fs::path> files_in(const fs::path& dir, const std::string& ext) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.path().extension() == ext) out.push_back(e.path());
  return out;
}

const engine::MappedWeights* find_mapping(const std::vector<engine::MappedWeights>& all, const fs::path& dir) {
  for (const auto& m : all)
    if (m.path.parent_path() == dir) return &m;
  return nullptr;
}

// The sidecar path: file-backed weights without prepacking (with prepacking, the optimized-model cache
// serves them: optimized_cache_test.cpp).
SessionOptions sidecar_in(const fs::path& cache, bool file_backed = true) {
  SessionOptions o;
  o.prepack_weights = false;
  o.file_backed_weights = file_backed;
  o.weights_cache_dir = cache;
  return o;
}

// Runs every int64 input as [1, 8] token-like data; returns every output.
// Eight tokens through any fixture graph: ids (small enough for every fixture's vocabulary), a mask of ones,
// zero token types, positions 0..7, and for a decoder's past_key_values an empty past (batch 1, length 0).
std::vector<OutputTensor> run_tokens(const Session& s) {
  std::vector<std::vector<int64_t>> ints;
  std::vector<InputTensor> in;
  ints.reserve(s.inputs().size());
  static const float kNoData = 0;
  for (const auto& i : s.inputs()) {
    if (i.type == ElementType::float32) {  // past_key_values.*: [batch, heads, past, head_dim], past = 0
      std::vector<int64_t> dims = i.dims;
      for (size_t d = 0; d < dims.size(); ++d)
        if (dims[d] < 0) dims[d] = d == 0 ? 1 : 0;
      in.push_back({i.name, ElementType::float32, dims, &kNoData, 0});
      continue;
    }
    if (i.name.find("mask") != std::string::npos) ints.push_back(std::vector<int64_t>(8, 1));
    else if (i.name.find("type") != std::string::npos) ints.push_back(std::vector<int64_t>(8, 0));
    else if (i.name.find("position") != std::string::npos) ints.push_back({0, 1, 2, 3, 4, 5, 6, 7});
    else ints.push_back({101, 1023, 1185, 1001, 1307, 999, 1012, 102});
    in.push_back({i.name, ElementType::int64, {1, 8}, ints.back().data(), 8 * sizeof(int64_t)});
  }
  return s.run(in);
}

void expect_bitwise_equal(const std::vector<OutputTensor>& a, const std::vector<OutputTensor>& b, const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].name, b[i].name) << what;
    EXPECT_EQ(a[i].dims, b[i].dims) << what;
    ASSERT_EQ(a[i].data.size(), b[i].data.size()) << what;
    EXPECT_EQ(std::memcmp(a[i].data.data(), b[i].data.data(), a[i].data.size() * sizeof(float)), 0)
        << what << ": output " << a[i].name << " differs";
  }
}

// A model y = (x + W) + B over float vectors of n elements: W as raw_data, B as packed float_data
// (a typed field the sidecar writer converts).
std::string add_model(size_t n, float seed) {
  std::string out;
  using onnx::Wire;
  auto varint_field = [](std::string& s, uint32_t f, uint64_t v) {
    onnx::put_tag(s, f, Wire::varint);
    onnx::put_varint(s, v);
  };
  auto value_info = [&](const std::string& name) {
    std::string dim, shape, tensor_type, type, vi;
    varint_field(dim, 1, n);
    onnx::put_len(shape, 1, dim);
    varint_field(tensor_type, 1, onnx::FLOAT);
    onnx::put_len(tensor_type, 2, shape);
    onnx::put_len(type, 1, tensor_type);
    onnx::put_len(vi, 1, name);
    onnx::put_len(vi, 2, type);
    return vi;
  };
  auto node = [](const std::string& a, const std::string& b, const std::string& y) {
    std::string s;
    onnx::put_len(s, 1, a);
    onnx::put_len(s, 1, b);
    onnx::put_len(s, 2, y);
    onnx::put_len(s, 4, "Add");
    return s;
  };
  std::vector<float> w(n), b(n);
  std::mt19937 rng(static_cast<unsigned>(seed * 1000));
  std::uniform_real_distribution<float> u(-1, 1);
  for (auto& v : w) v = u(rng);
  for (auto& v : b) v = u(rng);
  auto initializer = [&](const std::string& name, const std::vector<float>& v, uint32_t field) {
    std::string t;
    varint_field(t, 1, n);
    varint_field(t, 2, onnx::FLOAT);
    onnx::put_len(t, 8, name);
    onnx::put_len(t, field, std::string_view(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float)));
    return t;
  };
  std::string graph, opset;
  onnx::put_len(graph, 1, node("x", "W", "t"));
  onnx::put_len(graph, 1, node("t", "B", "y"));
  onnx::put_len(graph, 2, "add");
  onnx::put_len(graph, 5, initializer("W", w, 9));
  onnx::put_len(graph, 5, initializer("B", b, 4));
  onnx::put_len(graph, 11, value_info("x"));
  onnx::put_len(graph, 12, value_info("y"));
  varint_field(out, 1, 8);  // ir_version
  onnx::put_len(opset, 1, "");
  varint_field(opset, 2, 13);
  onnx::put_len(out, 8, opset);
  onnx::put_len(out, 7, graph);
  return out;
}

fs::path write_file(const fs::path& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary) << bytes;
  return p;
}

std::vector<float> run_add(const Session& s, size_t n) {
  std::vector<float> x(n, 0.5f);
  const std::vector<int64_t> dims{static_cast<int64_t>(n)};
  std::vector<InputTensor> in{{"x", ElementType::float32, dims, x.data(), n * sizeof(float)}};
  return s.run(in)[0].data;
}

}  // namespace

TEST(FileBackedWeights, SidecarIsWrittenOnceAndReused) {
  SidecarScratch cache, models;
  const fs::path model = models.path / "model.onnx";
  fs::copy_file(fixtures::model("tiny-bert-sentiment") / "onnx" / "model.onnx", model);
  { Session s(model, sidecar_in(cache.path)); }
  const auto weights = files_in(cache.path, ".weights");
  ASSERT_EQ(weights.size(), 1u);
  ASSERT_EQ(files_in(cache.path, ".onnx").size(), 1u);
  EXPECT_EQ(fs::file_size(weights[0]) % 64, 0u);
  const auto written = fs::last_write_time(weights[0]);
  const auto small = fs::file_size(files_in(cache.path, ".onnx")[0]);
  EXPECT_LT(small, fs::file_size(model) / 10) << "the rewritten graph keeps only small initializers";
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  { Session s(model, sidecar_in(cache.path)); }
  EXPECT_EQ(fs::last_write_time(weights[0]), written) << "the second load must reuse the sidecar";
  EXPECT_EQ(files_in(cache.path, ".weights").size(), 1u);
}

TEST(FileBackedWeights, AChangedModelGetsANewSidecar) {
  SidecarScratch cache, models;
  const fs::path model = write_file(models.path / "add.onnx", add_model(4096, 1));
  { Session s(model, sidecar_in(cache.path)); }
  const auto first = files_in(cache.path, ".weights");
  ASSERT_EQ(first.size(), 1u);
  write_file(model, add_model(4096, 2));  // same size, new weights
  fs::last_write_time(model, fs::last_write_time(model) + std::chrono::seconds(2));
  Session changed(model, sidecar_in(cache.path));
  const auto second = files_in(cache.path, ".weights");
  ASSERT_EQ(second.size(), 1u) << "the stale entry is removed";
  EXPECT_NE(second[0], first[0]);
  Session plain(model, sidecar_in(cache.path, false));
  EXPECT_EQ(run_add(changed, 4096), run_add(plain, 4096)) << "the new weights are served";
}

TEST(FileBackedWeights, OutputsAreBitwiseIdenticalOnEveryFixture) {
  SidecarScratch cache;
  int checked = 0;
  for (const auto& dir : fs::directory_iterator(fixtures::root() / "models")) {
    for (const char* name : {"model.onnx", "model_quantized.onnx"}) {
      const fs::path model = dir.path() / "onnx" / name;
      if (!fs::exists(model)) continue;
      Session mapped(model, sidecar_in(cache.path));
      Session plain(model, sidecar_in(cache.path, false));
      expect_bitwise_equal(run_tokens(mapped), run_tokens(plain), model.string());
      ++checked;
    }
  }
  EXPECT_GE(checked, 6);
}

TEST(FileBackedWeights, TypedFieldsAndRawDataBothServedIdentically) {
  SidecarScratch cache, models;
  const fs::path model = write_file(models.path / "add.onnx", add_model(1000, 3));
  Session mapped(model, sidecar_in(cache.path));
  Session plain(model, sidecar_in(cache.path, false));
  EXPECT_EQ(run_add(mapped, 1000), run_add(plain, 1000));
  const auto maps = engine::mapped_weights();
  const auto* m = find_mapping(maps, cache.path);
  ASSERT_NE(m, nullptr);
  EXPECT_GE(m->bytes, 2 * 1000 * sizeof(float)) << "W (raw_data) and B (float_data) both moved";
}

TEST(FileBackedWeights, TwoSessionsShareOneMappingUnmappedWithTheLast) {
  SidecarScratch cache, models;
  const size_t n = 8 << 20;  // W and B: 32 MiB each
  const uint64_t weight_bytes = 2 * n * sizeof(float);
  const fs::path model = write_file(models.path / "big.onnx", add_model(n, 4));
  { Session warm(model, sidecar_in(cache.path)); }  // writes the sidecar
  ASSERT_EQ(find_mapping(engine::mapped_weights(), cache.path), nullptr) << "unmapped when the last session went";

  auto a = std::make_unique<Session>(model, sidecar_in(cache.path));
  const std::vector<float> y = run_add(*a, n);  // touches every weight page
  trim_heap();
  const uint64_t before = process_memory().rss;
  auto b = std::make_unique<Session>(model, sidecar_in(cache.path));
  const uint64_t grown = process_memory().rss - std::min(before, process_memory().rss);
  EXPECT_LT(grown, weight_bytes / 10) << "the second session must not copy the weights";

  auto maps = engine::mapped_weights();
  const auto* m = find_mapping(maps, cache.path);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->sessions, 2);
  EXPECT_GE(m->bytes, weight_bytes);
  EXPECT_EQ(run_add(*b, n), y);

  a.reset();
  maps = engine::mapped_weights();
  m = find_mapping(maps, cache.path);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->sessions, 1);
  b.reset();
  EXPECT_EQ(find_mapping(engine::mapped_weights(), cache.path), nullptr);
}

TEST(FileBackedWeights, AModelWithExternalDataIsServedAsIs) {
  SidecarScratch cache, models, other_cache;
  const fs::path model = write_file(models.path / "add.onnx", add_model(4096, 5));
  { Session s(model, sidecar_in(cache.path)); }
  // The cache entry is itself a model with external data: copy it somewhere and load that.
  const fs::path ext_dir = models.path / "external";
  fs::create_directories(ext_dir);
  const fs::path ext_onnx = ext_dir / "ext.onnx";
  fs::copy_file(files_in(cache.path, ".onnx")[0], ext_onnx);
  const fs::path weights = files_in(cache.path, ".weights")[0];
  fs::copy_file(weights, ext_dir / weights.filename());
  Session s(ext_onnx, sidecar_in(other_cache.path));
  EXPECT_TRUE(files_in(other_cache.path, ".weights").empty()) << "nothing new is written";
  const auto maps = engine::mapped_weights();
  const auto* m = find_mapping(maps, ext_dir);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->sessions, 1);
  Session plain(model, sidecar_in(cache.path, false));
  EXPECT_EQ(run_add(s, 4096), run_add(plain, 4096));
}

TEST(FileBackedWeights, CorruptOrTruncatedModelIsALoadErrorNamingThePath) {
  SidecarScratch cache, models;
  const fs::path src = fixtures::model("tiny-bert-sentiment") / "onnx" / "model.onnx";
  std::ifstream in(src, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const fs::path truncated = write_file(models.path / "truncated.onnx", bytes.substr(0, bytes.size() / 2));
  const fs::path garbage = write_file(models.path / "garbage.onnx", std::string(4096, '\xff'));
  for (const fs::path& p : {truncated, garbage}) {
    try {
      Session s(p, sidecar_in(cache.path));
      ADD_FAILURE() << "no exception for " << p;
    } catch (const ModelLoadError& e) {
      EXPECT_NE(std::string(e.what()).find(p.string()), std::string::npos) << e.what();
    }
  }
  EXPECT_TRUE(files_in(cache.path, ".weights").empty());
}

TEST(FileBackedWeights, DamagedCacheEntryIsWrittenAgain) {
  SidecarScratch cache, models;
  const fs::path model = write_file(models.path / "add.onnx", add_model(4096, 6));
  { Session s(model, sidecar_in(cache.path)); }
  const fs::path weights = files_in(cache.path, ".weights")[0];
  fs::resize_file(weights, fs::file_size(weights) / 2);
  Session s(model, sidecar_in(cache.path));
  EXPECT_GT(fs::file_size(weights), 2 * 4096 * sizeof(float) - 1);
  Session plain(model, sidecar_in(cache.path, false));
  EXPECT_EQ(run_add(s, 4096), run_add(plain, 4096));
}

TEST(FileBackedWeights, UnwritableCacheFallsBackToPlainLoading) {
  SidecarScratch models;
  const fs::path model = write_file(models.path / "add.onnx", add_model(4096, 7));
  const fs::path blocker = write_file(models.path / "not-a-folder", "x");  // root ignores permissions
  const fs::path cache = blocker / "cache";
  Session s(model, sidecar_in(cache));
  EXPECT_NE(engine::last_weights_fallback().find(cache.string()), std::string::npos) << engine::last_weights_fallback();
  EXPECT_NE(engine::last_weights_fallback().find(model.string()), std::string::npos);
  EXPECT_EQ(find_mapping(engine::mapped_weights(), cache), nullptr);
  Session plain(model, sidecar_in(cache, false));
  EXPECT_EQ(run_add(s, 4096), run_add(plain, 4096));
}

// A full disk while the sidecar is written (fixtures::FileSizeLimit): plain loading, the reason said, no
// partial file left; with room again the sidecar is written.
TEST(FileBackedWeights, AFullDiskWhileWritingTheSidecarFallsBackAndLeavesNothing) {
  SidecarScratch models, cache;
  const fs::path model = write_file(models.path / "add.onnx", add_model(65536, 7));
  Session plain(model, sidecar_in(cache.path, false));
  for (const rlim_t limit : {rlim_t{0}, rlim_t{100} << 10}) {  // the weights are 256 KiB
    SCOPED_TRACE(limit);
    {
      fixtures::FileSizeLimit full(limit);
      Session s(model, sidecar_in(cache.path));
      EXPECT_EQ(run_add(s, 65536), run_add(plain, 65536));
    }
    EXPECT_NE(engine::last_weights_fallback().find(model.string()), std::string::npos) << engine::last_weights_fallback();
    EXPECT_TRUE(files_in(cache.path, ".weights").empty());
    EXPECT_TRUE(files_in(cache.path, ".onnx").empty());
    EXPECT_EQ(std::distance(fs::directory_iterator(cache.path), fs::directory_iterator()), 0);
  }
  Session s(model, sidecar_in(cache.path));
  EXPECT_EQ(files_in(cache.path, ".weights").size(), 1u);
  EXPECT_EQ(run_add(s, 65536), run_add(plain, 65536));
}

TEST(FileBackedWeights, PrepackingOffStillAnswers) {
  SidecarScratch cache;
  const fs::path model = fixtures::model("tiny-bert-sentiment") / "onnx" / "model.onnx";
  SessionOptions o = sidecar_in(cache.path);
  o.prepack_weights = false;
  Session off(model, o);
  Session on(model, sidecar_in(cache.path));
  const auto a = run_tokens(off), b = run_tokens(on);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a[0].data.size(); ++i) EXPECT_NEAR(a[0].data[i], b[0].data[i], 1e-4f);
}
