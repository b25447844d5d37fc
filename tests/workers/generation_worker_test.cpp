// Generation through thread and process workers: the same text as the pipeline in this process, the stream
// of pieces (in order, ending with `end`), a stream callback that stops the call, and one that throws (that
// call fails, the worker goes on).
#include <gtest/gtest.h>

#include "test_support.hpp"
#include "transformers/transformers.hpp"

namespace tf = transformers;

namespace {

tf::WorkerOptions options_of(tf::WorkerKind kind) {
  tf::WorkerOptions o;
  o.kind = kind;
  o.executable = TRANSFORMERS_CLI_PATH;
  return o;
}

tf::WorkerCall generation_call(const char* task, const char* model, std::vector<std::string> inputs, int new_tokens) {
  tf::WorkerCall c;
  c.task = task;
  c.model = tf::fixtures::model(model);
  c.inputs = std::move(inputs);
  c.batched = c.inputs.size() > 1;
  c.call_options = tf::call_options_from_json(task, "{\"max_new_tokens\": " + std::to_string(new_tokens) + "}");
  return c;
}

class GenerationWorker : public ::testing::TestWithParam<tf::WorkerKind> {};

}  // namespace

TEST_P(GenerationWorker, GivesThePipelinesTextAndStreamsIt) {
  auto worker = tf::make_worker(options_of(GetParam()));
  for (auto [task, model] : {std::pair{"text-generation", "tiny-gpt2"}, std::pair{"translation", "tiny-marian"}}) {
    const tf::Pipeline local = tf::pipeline(task, tf::fixtures::model(model));
    tf::WorkerCall call = generation_call(task, model, {"Once upon a time, there was a little"}, 16);
    const std::string expected = local.call({call.inputs, {}, {}}, false, call.call_options).to_json();
    EXPECT_EQ(worker->submit(call).get().to_json(), expected) << task;
    std::string streamed;
    int ends = 0;
    call.on_text = [&](const tf::StreamChunk& c) {
      EXPECT_EQ(c.input, 0u);
      EXPECT_EQ(ends, 0) << "a piece after the end";
      streamed += c.text;
      ends += c.end;
      return true;
    };
    const tf::Output out = worker->submit(call).get();
    EXPECT_EQ(out.to_json(), expected) << task;
    EXPECT_EQ(ends, 1) << task;
    EXPECT_FALSE(streamed.empty()) << task;
    EXPECT_NE(expected.find(streamed.substr(0, 4)), std::string::npos) << task << ": '" << streamed << "'";
  }
}

TEST_P(GenerationWorker, AStreamCallbackStopsOrFailsOnlyItsCall) {
  auto worker = tf::make_worker(options_of(GetParam()));
  // Long enough (tiny-llama has no position limit: 1,500 tokens take ~0.2 s) that the process worker's cancel
  // frame arrives while the child is still generating; with 60 tokens the child could finish first.
  tf::WorkerCall call = generation_call("text-generation", "tiny-llama", {"Once upon a time, there was a little"}, 1500);
  call.call_options = tf::call_options_from_json("text-generation", R"({"max_new_tokens": 1500, "min_new_tokens": 1500})");
  const size_t full = worker->submit(call).get().to_json().size();
  int pieces = 0;
  call.on_text = [&](const tf::StreamChunk& c) {
    pieces += !c.end;
    return false;  // stop at the first piece
  };
  const tf::Output stopped = worker->submit(call).get();
  EXPECT_LT(stopped.to_json().size(), full) << "generation went on after the callback said stop";
  call.on_text = [](const tf::StreamChunk&) -> bool { throw std::runtime_error("the callback failed"); };
  auto failed = worker->submit(call);
  EXPECT_THROW(failed.get(), std::exception);
  call.on_text = nullptr;
  EXPECT_EQ(worker->submit(call).get().to_json().size(), full) << "the worker still answers";
}

TEST_P(GenerationWorker, ChatsTravel) {
  auto worker = tf::make_worker(options_of(GetParam()));
  tf::WorkerCall call = generation_call("text-generation", "tiny-llama", {}, 8);
  call.chats = {{{"user", "Hello!"}}};
  call.batched = false;
  const tf::Pipeline local = tf::pipeline("text-generation", tf::fixtures::model("tiny-llama"));
  tf::PipelineInputs in;
  in.chats = call.chats;
  std::string expected, got;
  try {
    expected = local.call(in, false, call.call_options).to_json();
  } catch (const tf::Error& e) {
    expected = std::string("error: ") + e.what();
  }
  try {
    got = worker->submit(call).get().to_json();
  } catch (const tf::Error& e) {
    got = std::string("error: ") + e.what();
  }
  EXPECT_EQ(expected.rfind("error:", 0), std::string::npos) << "the chat must render here: " << expected;
  EXPECT_EQ(got, expected);
}

INSTANTIATE_TEST_SUITE_P(Kinds, GenerationWorker, ::testing::Values(tf::WorkerKind::thread, tf::WorkerKind::process),
                         [](const auto& info) { return std::string(tf::to_string(info.param)); });
