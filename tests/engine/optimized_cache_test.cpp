// The optimized-model cache (src/engine/optimized_cache.cpp): written once per model file, hit afterwards,
// rebuilt when stale or damaged, safe with two processes loading at once, and a clean fallback when the
// cache cannot be written. Results are compared with ONNX Runtime reading the model plainly.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/cpu_features.hpp"
#include "engine/model_weights.hpp"
#include "engine/onnx_protobuf.hpp"
#include "memory/mapped_file.hpp"
#include "engine/optimized_cache.hpp"
#include "test_support.hpp"
#include "transformers/engine.hpp"

using namespace transformers;
namespace fs = std::filesystem;
namespace opt = transformers::engine::optimized;

namespace {
const fs::path kModel = fixtures::model("tiny-bert-sentiment") / "onnx" / "model.onnx";

struct OptimizedScratch : fixtures::ScratchDir {
  OptimizedScratch() : ScratchDir("opt") {}
};

SessionOptions optimized_in(const fs::path& cache) {
  SessionOptions o;
  o.weights_cache_dir = cache;  // file-backed + prepacked: the defaults
  return o;
}

SessionOptions plain() {
  SessionOptions o;
  o.file_backed_weights = false;
  return o;
}

std::vector<float> logits(const Session& s) {
  const std::vector<int64_t> ids = {101, 1045, 2293, 2023, 102}, mask(5, 1), types(5, 0);
  const std::vector<int64_t> dims = {1, 5};
  std::vector<InputTensor> in = {{"input_ids", ElementType::int64, dims, ids.data(), ids.size() * 8},
                                 {"attention_mask", ElementType::int64, dims, mask.data(), mask.size() * 8},
                                 {"token_type_ids", ElementType::int64, dims, types.data(), types.size() * 8}};
  return s.run(in, {"logits"}).at(0).data;
}

void expect_close(const std::vector<float>& a, const std::vector<float>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-5) << i;
}

std::vector<fs::path> entries(const fs::path& cache) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(cache, ec)) out.push_back(e.path());
  return out;
}

fs::file_time_type mtime(const fs::path& p) { return fs::last_write_time(p); }
}  // namespace

TEST(OptimizedCache, WrittenOnceThenServedWithTheSameAnswers) {
  OptimizedScratch cache;
  const auto want = logits(Session(kModel, plain()));
  const opt::Entry e = opt::entry_for(kModel, cache.path, GraphOptimization::all);
  EXPECT_FALSE(opt::complete(e));
  {
    Session first(kModel, optimized_in(cache.path));  // miss: written
    expect_close(logits(first), want);
  }
  ASSERT_TRUE(opt::complete(e));
  EXPECT_TRUE(fs::exists(e.data));
  const auto written = mtime(e.onnx);
  Session second(kModel, optimized_in(cache.path));  // hit: read, not written again
  expect_close(logits(second), want);
  EXPECT_EQ(mtime(e.onnx), written);
  EXPECT_EQ(entries(cache.path).size(), 1u) << "no temporary folder left behind";
  // The data file is mapped by ONNX Runtime and counted in the memory report.
  bool reported = false;
  for (const auto& m : engine::mapped_weights()) reported = reported || m.path == e.data;
  EXPECT_TRUE(reported);
  EXPECT_GT(second.mapped_weight_bytes(), 0u);
}

TEST(OptimizedCache, TheKeyCoversTheModelOnnxRuntimeAndTheCpu) {
  OptimizedScratch dir;
  const fs::path model = dir.path / "model.onnx";
  fs::copy_file(kModel, model);
  const std::string base = opt::entry_name(model, GraphOptimization::all, "1.29.0", "cpu-a");
  EXPECT_NE(base, opt::entry_name(model, GraphOptimization::all, "1.30.0", "cpu-a"));
  EXPECT_NE(base, opt::entry_name(model, GraphOptimization::all, "1.29.0", "cpu-b"));
  EXPECT_NE(base, opt::entry_name(model, GraphOptimization::basic, "1.29.0", "cpu-a"));
  EXPECT_EQ(base, opt::entry_name(model, GraphOptimization::all, "1.29.0", "cpu-a"));
  fs::last_write_time(model, fs::last_write_time(model) + std::chrono::seconds(2));
  EXPECT_NE(base, opt::entry_name(model, GraphOptimization::all, "1.29.0", "cpu-a"));
  const std::string before_data = opt::entry_name(model, GraphOptimization::all, "1.29.0", "cpu-a");
  std::ofstream(dir.path / "model.onnx_data") << "external";  // its external data is part of the model
  EXPECT_NE(before_data, opt::entry_name(model, GraphOptimization::all, "1.29.0", "cpu-a"));
  EXPECT_FALSE(core::cpu_feature_key().empty());
}

TEST(OptimizedCache, AChangedModelGetsANewEntryAndTheOldOneGoes) {
  OptimizedScratch dir, cache;
  const fs::path model = dir.path / "model.onnx";
  fs::copy_file(kModel, model);
  { Session s(model, optimized_in(cache.path)); }
  const opt::Entry old = opt::entry_for(model, cache.path, GraphOptimization::all);
  ASSERT_TRUE(opt::complete(old));
  fs::last_write_time(model, fs::last_write_time(model) + std::chrono::seconds(2));
  { Session s(model, optimized_in(cache.path)); }
  const opt::Entry fresh = opt::entry_for(model, cache.path, GraphOptimization::all);
  EXPECT_NE(old.dir, fresh.dir);
  EXPECT_TRUE(opt::complete(fresh));
  EXPECT_FALSE(fs::exists(old.dir));
}

TEST(OptimizedCache, DamagedEntriesAreRebuilt) {
  OptimizedScratch cache;
  const auto want = logits(Session(kModel, plain()));
  { Session s(kModel, optimized_in(cache.path)); }
  const opt::Entry e = opt::entry_for(kModel, cache.path, GraphOptimization::all);
  ASSERT_TRUE(opt::complete(e));
  fs::resize_file(e.data, fs::file_size(e.data) / 2);  // truncated data: the manifest says otherwise
  EXPECT_FALSE(opt::complete(e));
  {
    Session s(kModel, optimized_in(cache.path));
    expect_close(logits(s), want);
  }
  EXPECT_TRUE(opt::complete(e));
  // Garbage of the right size: the manifest agrees, ONNX Runtime refuses it, the entry is written again.
  const auto size = fs::file_size(e.onnx);
  std::ofstream(e.onnx, std::ios::binary | std::ios::trunc) << std::string(size, 'x');
  Session s(kModel, optimized_in(cache.path));
  expect_close(logits(s), want);
  EXPECT_TRUE(opt::complete(e));
}

// Removed while sessions use it (`transformers-cpp cache clear` from another process, or eviction): a
// session holds the mapping, not the name, so it goes on answering; the next load writes the entry again.
TEST(OptimizedCache, AnEntryRemovedWhileInUseLeavesItsSessionsAnswering) {
  OptimizedScratch cache;
  const auto want = logits(Session(kModel, plain()));
  Session held(kModel, optimized_in(cache.path));
  const opt::Entry e = opt::entry_for(kModel, cache.path, GraphOptimization::all);
  ASSERT_TRUE(opt::complete(e));
  ASSERT_GT(held.mapped_weight_bytes(), 0u);
  fs::remove_all(cache.path);
  expect_close(logits(held), want);
  Session again(kModel, optimized_in(cache.path));
  EXPECT_TRUE(opt::complete(e));
  expect_close(logits(again), want);
  expect_close(logits(held), want);
}

// A full disk while the entry is written (fixtures::FileSizeLimit, at several points of the ~2 MB write): the load falls back to plain loading, says
// why, answers as ONNX Runtime does, and leaves no partial entry behind; with room again, the next load
// writes a complete entry.
TEST(OptimizedCache, AFullDiskWhileWritingFallsBackAndLeavesNoPartialEntry) {
  OptimizedScratch cache;
  const auto want = logits(Session(kModel, plain()));
  const opt::Entry e = opt::entry_for(kModel, cache.path, GraphOptimization::all);
  for (const rlim_t limit : {rlim_t{0}, rlim_t{4096}, rlim_t{256} << 10, rlim_t{1} << 20}) {
    SCOPED_TRACE(limit);
    std::vector<float> got;
    std::string error;
    {
      fixtures::FileSizeLimit full(limit);
      try {
        Session s(kModel, optimized_in(cache.path));
        got = logits(s);
      } catch (const std::exception& ex) {
        error = ex.what();
      }
    }
    ASSERT_EQ(error, "");
    expect_close(got, want);
    EXPECT_FALSE(opt::complete(e));
    EXPECT_TRUE(entries(cache.path).empty()) << entries(cache.path).front();
    EXPECT_NE(engine::last_weights_fallback().find(kModel.string()), std::string::npos) << engine::last_weights_fallback();
  }
  Session s(kModel, optimized_in(cache.path));
  expect_close(logits(s), want);
  EXPECT_TRUE(opt::complete(e));
}

TEST(OptimizedCache, AnUnwritableCacheFallsBackToPlainLoadingAndSaysWhy) {
  OptimizedScratch dir;
  const fs::path blocker = dir.path / "not-a-folder";
  std::ofstream(blocker) << "x";  // root ignores permissions; a file in the way stops it
  const fs::path cache = blocker / "cache";
  Session s(kModel, optimized_in(cache));
  expect_close(logits(s), logits(Session(kModel, plain())));
  EXPECT_NE(engine::last_weights_fallback().find(cache.string()), std::string::npos) << engine::last_weights_fallback();
  EXPECT_NE(engine::last_weights_fallback().find(kModel.string()), std::string::npos);
}

// Tied weights (a masked LM's embedding matrix read by Gather and by the head's Gemm): ONNX Runtime 1.30
// segfaults running its own saved prepacked graph of such a model (checked with onnxruntime-node), so
// no entry is written; the model loads as ONNX Runtime loads it, gives the plain answers, and says why.
TEST(OptimizedCache, TiedPrepackedWeightsAreNotCachedAndStillRun) {
  const fs::path mlm = fixtures::model("tiny-bert-mlm") / "onnx" / "model.onnx";
  memory::MappedFile bytes(mlm);
  EXPECT_EQ(engine::onnx::prepacked_shared_initializers(bytes.bytes()),
            std::vector<std::string>{"encoder.embeddings.word_embeddings.weight"});
  memory::MappedFile sentiment(kModel);
  EXPECT_TRUE(engine::onnx::prepacked_shared_initializers(sentiment.bytes()).empty());
  OptimizedScratch cache;
  for (int load = 0; load < 2; ++load) {  // the second load must not find (and crash on) an entry either
    Session s(mlm, optimized_in(cache.path));
    const std::vector<int64_t> ids = {101, 1996, 103, 102}, mask(4, 1), types(4, 0), dims = {1, 4};
    std::vector<InputTensor> in = {{"input_ids", ElementType::int64, dims, ids.data(), 32},
                                   {"attention_mask", ElementType::int64, dims, mask.data(), 32},
                                   {"token_type_ids", ElementType::int64, dims, types.data(), 32}};
    Session reference(mlm, plain());
    expect_close(s.run(in, {"logits"}).at(0).data, reference.run(in, {"logits"}).at(0).data);
    EXPECT_NE(engine::last_weights_fallback().find("tied weights"), std::string::npos) << engine::last_weights_fallback();
  }
  EXPECT_TRUE(entries(cache.path).empty());
}

TEST(OptimizedCache, TwoProcessesLoadingANewModelAtOnceBothSucceed) {
  OptimizedScratch dir, cache;
  const fs::path model_dir = dir.path / "m";
  fs::copy(fixtures::model("tiny-bert-sentiment"), model_dir, fs::copy_options::recursive);
  // The parent's environment (sanitizer options included) with the cache folder replaced.
  std::vector<std::string> env_s = {"XDG_CACHE_HOME=" + cache.path.string()};
  for (char** e = environ; *e; ++e)
    if (std::string_view(*e).rfind("XDG_CACHE_HOME=", 0) != 0) env_s.emplace_back(*e);
  std::vector<char*> env;
  for (auto& s : env_s) env.push_back(s.data());
  env.push_back(nullptr);
  std::vector<pid_t> pids;
  std::vector<std::string> outs;
  for (int i = 0; i < 3; ++i) {
    outs.push_back((dir.path / ("out" + std::to_string(i))).string());
    std::vector<std::string> args = {TRANSFORMERS_CLI_PATH, "run", "text-classification", "--model",
                                     model_dir.string(), "--json", "I love this"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, outs.back().c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    pid_t pid;
    ASSERT_EQ(posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), env.data()), 0);
    posix_spawn_file_actions_destroy(&fa);
    pids.push_back(pid);
  }
  for (pid_t pid : pids) {
    int status = 0;
    waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  }
  std::string first;
  for (const auto& o : outs) {
    std::ifstream in(o);
    std::string text((std::istreambuf_iterator<char>(in)), {});
    if (first.empty()) first = text;
    EXPECT_EQ(text, first);
  }
  const fs::path weights = cache.path / "transformers-cpp" / "weights";
  const auto left = entries(weights);
  ASSERT_EQ(left.size(), 1u) << "one entry, no temporary folder";
  EXPECT_TRUE(opt::complete(opt::entry_for(model_dir / "onnx" / "model.onnx", weights, GraphOptimization::all)));
}

TEST(OptimizedCache, EvictionRemovesTheLeastRecentlyUsedFirst) {
  OptimizedScratch dir, cache;
  std::vector<fs::path> models;
  for (const char* name : {"a", "b"}) {
    fs::create_directories(dir.path / name);
    models.push_back(dir.path / name / "model.onnx");
    fs::copy_file(kModel, models.back());
  }
  { Session a(models[0], optimized_in(cache.path)); }
  { Session b(models[1], optimized_in(cache.path)); }
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  { Session a(models[0], optimized_in(cache.path)); }  // a hit: a is now the most recently used
  const auto entries = weights_cache_entries(cache.path);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].path, opt::entry_for(models[0], cache.path, GraphOptimization::all).dir);
  EXPECT_EQ(weights_cache_bytes(cache.path), entries[0].bytes + entries[1].bytes);
  EXPECT_EQ(prune_weights_cache(entries[0].bytes, cache.path), 1u);
  EXPECT_TRUE(opt::complete(opt::entry_for(models[0], cache.path, GraphOptimization::all)));
  EXPECT_FALSE(fs::exists(opt::entry_for(models[1], cache.path, GraphOptimization::all).dir));
  // A limit set for the process is applied whenever a new entry is written: the older one goes.
  set_weights_cache_limit(entries[0].bytes + 1);
  { Session b(models[1], optimized_in(cache.path)); }
  set_weights_cache_limit(0);
  EXPECT_EQ(weights_cache_entries(cache.path).size(), 1u);
  EXPECT_TRUE(opt::complete(opt::entry_for(models[1], cache.path, GraphOptimization::all)));
  clear_weights_cache(cache.path);
  EXPECT_TRUE(weights_cache_entries(cache.path).empty());
}

TEST(OptimizedCache, TheCacheCommandListsPrunesAndClears) {
  OptimizedScratch cache;
  { Session s(kModel, optimized_in(cache.path)); }
  const std::string dir = " --dir " + cache.path.string();
  const auto list = fixtures::run_cli("cache list --json" + dir);
  ASSERT_EQ(list.exit_code, 0) << list.out;
  const auto j = nlohmann::json::parse(list.out);
  ASSERT_EQ(j["entries"].size(), 1u);
  EXPECT_EQ(j["entries"][0]["kind"], "optimized");
  EXPECT_GT(j["bytes"].get<uint64_t>(), 0u);
  EXPECT_EQ(fixtures::run_cli("cache prune --max-size 0" + dir).exit_code, 0);  // the newest entry stays
  EXPECT_EQ(weights_cache_entries(cache.path).size(), 1u);
  const auto bad = fixtures::run_cli("cache prune --max-size lots" + dir);
  EXPECT_EQ(bad.exit_code, 2) << bad.out;
  EXPECT_EQ(fixtures::run_cli("cache clear" + dir).exit_code, 0);
  EXPECT_TRUE(weights_cache_entries(cache.path).empty());
}
