#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "test_support.hpp"
#include "transformers/engine.hpp"
#include "transformers/error.hpp"

using namespace transformers;
using fixtures::message_of;
namespace fs = std::filesystem;

namespace {
fs::path classifier_onnx() { return fixtures::model("tiny-bert-sentiment") / "onnx" / "model.onnx"; }


struct Inputs {
  std::vector<int64_t> ids, mask, types;
  std::vector<int64_t> dims;
  std::vector<InputTensor> tensors() const {
    const size_t bytes = ids.size() * sizeof(int64_t);
    return {{"input_ids", ElementType::int64, dims, ids.data(), bytes},
            {"attention_mask", ElementType::int64, dims, mask.data(), bytes},
            {"token_type_ids", ElementType::int64, dims, types.data(), bytes}};
  }
};
Inputs make_inputs(std::vector<int64_t> ids) {
  Inputs in;
  in.ids = ids;
  in.mask.assign(ids.size(), 1);
  in.types.assign(ids.size(), 0);
  in.dims = {1, static_cast<int64_t>(ids.size())};
  return in;
}
}  // namespace

TEST(Session, ReportsGraphInputsAndOutputs) {
  Session s(classifier_onnx());
  ASSERT_EQ(s.inputs().size(), 3u);
  EXPECT_TRUE(s.has_input("input_ids"));
  EXPECT_TRUE(s.has_input("attention_mask"));
  EXPECT_TRUE(s.has_input("token_type_ids"));
  for (const auto& i : s.inputs()) {
    EXPECT_EQ(i.type, ElementType::int64);
    ASSERT_EQ(i.dims.size(), 2u);
    EXPECT_LT(i.dims[0], 0) << "batch axis must be dynamic";
    EXPECT_LT(i.dims[1], 0) << "sequence axis must be dynamic";
  }
  ASSERT_EQ(s.outputs().size(), 1u);
  EXPECT_EQ(s.outputs()[0].name, "logits");
  EXPECT_EQ(s.outputs()[0].type, ElementType::float32);
}

TEST(Session, RunsAndIsDeterministic) {
  Session s(classifier_onnx());
  const Inputs in = make_inputs({101, 7592, 2088, 102});
  const auto t = in.tensors();
  auto a = s.run(t);
  auto b = s.run(t);
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].dims, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(a[0].data, b[0].data);
}

TEST(Session, PrivateThreadPoolGivesSameAnswer) {
  Session global_pool(classifier_onnx());
  SessionOptions o;
  o.intra_op_threads = 1;
  o.optimization = GraphOptimization::disabled;
  Session own_pool(classifier_onnx(), o);
  const Inputs in = make_inputs({101, 1045, 2293, 2023, 102});
  auto a = global_pool.run(in.tensors());
  auto b = own_pool.run(in.tensors());
  ASSERT_EQ(a[0].data.size(), b[0].data.size());
  for (size_t i = 0; i < a[0].data.size(); ++i) EXPECT_NEAR(a[0].data[i], b[0].data[i], 1e-5);
}

TEST(Session, MissingFileNamesThePath) {
  const auto msg = message_of<ModelLoadError>([] { Session s("/nonexistent/dir/model.onnx"); });
  EXPECT_NE(msg.find("/nonexistent/dir/model.onnx"), std::string::npos) << msg;
}

TEST(Session, GarbageFileIsALoadErrorNamingTheFile) {
  const fs::path p = fs::temp_directory_path() / "transformers_cpp_garbage.onnx";
  std::ofstream(p) << "this is not a protobuf";
  const auto msg = message_of<ModelLoadError>([&] { Session s(p); });
  EXPECT_NE(msg.find(p.string()), std::string::npos) << msg;
  fs::remove(p);
}

TEST(Session, MissingInputIsNamed) {
  Session s(classifier_onnx());
  const Inputs in = make_inputs({101, 102});
  auto t = in.tensors();
  t.pop_back();
  const auto msg = message_of<InvalidInputError>([&] { s.run(t); });
  EXPECT_NE(msg.find("missing input 'token_type_ids'"), std::string::npos) << msg;
}

TEST(Session, ExtraInputIsNamedWithTheExpectedOnes) {
  Session s(classifier_onnx());
  const Inputs in = make_inputs({101, 102});
  auto t = in.tensors();
  t.push_back({"position_ids", ElementType::int64, in.dims, in.ids.data(), in.ids.size() * 8});
  const auto msg = message_of<InvalidInputError>([&] { s.run(t); });
  EXPECT_NE(msg.find("unexpected input 'position_ids'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("input_ids"), std::string::npos) << msg;
}

TEST(Session, WrongTypeIsNamed) {
  Session s(classifier_onnx());
  const Inputs in = make_inputs({101, 102});
  auto t = in.tensors();
  std::vector<int32_t> ids32 = {101, 102};
  t[0] = {"input_ids", ElementType::int32, in.dims, ids32.data(), 8};
  const auto msg = message_of<InvalidInputError>([&] { s.run(t); });
  EXPECT_NE(msg.find("'input_ids' must be int64, got int32"), std::string::npos) << msg;
}

TEST(Session, WrongRankAndByteSizeAreNamed) {
  Session s(classifier_onnx());
  const Inputs in = make_inputs({101, 102});
  auto t = in.tensors();
  t[1].dims = {2};
  auto msg = message_of<InvalidInputError>([&] { s.run(t); });
  EXPECT_NE(msg.find("'attention_mask' must have rank 2"), std::string::npos) << msg;
  t = in.tensors();
  t[2].byte_size = 8;
  msg = message_of<InvalidInputError>([&] { s.run(t); });
  EXPECT_NE(msg.find("'token_type_ids' has 8 bytes"), std::string::npos) << msg;
}

TEST(Session, UnknownOutputIsNamed) {
  Session s(classifier_onnx());
  const Inputs in = make_inputs({101, 102});
  const auto msg = message_of<InvalidInputError>([&] { s.run(in.tensors(), {"pooler_output"}); });
  EXPECT_NE(msg.find("no output 'pooler_output'"), std::string::npos) << msg;
}

TEST(Session, StaysUsableAfterErrors) {
  Session s(classifier_onnx());
  const Inputs in = make_inputs({101, 7592, 102});
  auto t = in.tensors();
  t.pop_back();
  EXPECT_THROW(s.run(t), InvalidInputError);
  EXPECT_EQ(s.run(in.tensors()).size(), 1u);
}

TEST(Runtime, ReconfiguringAfterCreationIsRefused) {
  Session s(classifier_onnx());  // creates the environment
  RuntimeOptions same = runtime_options();
  RuntimeOptions other = same;
  other.intra_op_threads = same.intra_op_threads + 1;
  EXPECT_THROW(configure_runtime(other), InvalidInputError);
  EXPECT_GE(runtime_options().intra_op_threads, 1);
}

// The spinning default comes from TRANSFORMERS_CPP_ORT_SPINNING when set (the tests' environment sets 0,
// tests/CMakeLists.txt), else it is on; nothing in this binary calls configure_runtime with another value.
TEST(Runtime, SpinningDefaultFollowsTheEnvironment) {
  const char* v = std::getenv("TRANSFORMERS_CPP_ORT_SPINNING");
  const bool want = !(v && std::string(v) == "0");
  EXPECT_EQ(runtime_options().allow_spinning, want) << "TRANSFORMERS_CPP_ORT_SPINNING=" << (v ? v : "(unset)");
}

// Integer and boolean outputs are returned, widened to int64 (tools/fixtures/make_int_outputs_model.py):
// the graph's Shape, ArgMax, Greater(x, 0) and Cast-to-int32 of a known input.
TEST(Session, IntegerAndBooleanOutputsAreReturned) {
  Session s(fixtures::root() / "models" / "int-outputs.onnx");
  const std::vector<float> x = {-1.5f, 2.25f, 7.75f, 0.0f, -9.0f};
  const std::vector<int64_t> dims = {1, 5};
  const std::vector<InputTensor> in = {{"x", ElementType::float32, dims, x.data(), x.size() * sizeof(float)}};
  const auto out = s.run(in, {"shape", "argmax", "positive", "rounded"});
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0].type, ElementType::int64);
  EXPECT_EQ(out[0].int_data, (std::vector<int64_t>{1, 5}));
  EXPECT_EQ(out[1].int_data, (std::vector<int64_t>{2}));
  EXPECT_EQ(out[2].type, ElementType::boolean);
  EXPECT_EQ(out[2].int_data, (std::vector<int64_t>{0, 1, 1, 0, 0}));
  EXPECT_EQ(out[3].type, ElementType::int32);
  EXPECT_EQ(out[3].int_data, (std::vector<int64_t>{-1, 2, 7, 0, -9}));  // Cast truncates toward zero
  EXPECT_TRUE(out[0].data.empty());
}
