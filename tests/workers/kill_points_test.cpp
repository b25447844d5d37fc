// A process worker's child killed (SIGKILL) at each step of the protocol, by its own kill points
// (TRANSFORMERS_WORKER_KILL_AT, workers/worker_server.cpp): the operation in flight fails with
// WorkerCrashedError naming the signal, the host keeps nothing of that child (no descriptor, no zombie),
// later calls on that worker are refused at once, and a new worker answers as the library does. A pool
// replaces its dead worker and its next call succeeds.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "test_support.hpp"
#include "transformers/transformers.hpp"
#include "transformers/worker.hpp"

namespace tf = transformers;
namespace fs = std::filesystem;

namespace {

const auto kClassifier = tf::fixtures::model("tiny-bert-sentiment");
const auto kGenerator = tf::fixtures::model("tiny-gpt2");

tf::WorkerOptions process_options() {
  tf::WorkerOptions o;
  o.kind = tf::WorkerKind::process;
  o.executable = TRANSFORMERS_CLI_PATH;
  return o;
}

tf::WorkerCall classify(const char* text) {
  tf::WorkerCall c;
  c.task = "text-classification";
  c.model = kClassifier;
  c.inputs = {text};
  return c;
}

tf::WorkerCall generate(int new_tokens) {
  tf::WorkerCall c;
  c.task = "text-generation";
  c.model = kGenerator;
  c.inputs = {"Once upon a time"};
  c.batched = false;
  c.call_options = tf::call_options_from_json(c.task, "{\"max_new_tokens\": " + std::to_string(new_tokens) + "}");
  return c;
}

size_t open_descriptors() {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

// Sets the kill point for the children started while it lives.
struct KillAt {
  explicit KillAt(const char* step) { setenv("TRANSFORMERS_WORKER_KILL_AT", step, 1); }
  ~KillAt() { unsetenv("TRANSFORMERS_WORKER_KILL_AT"); }
};

void expect_killed(const std::string& message, const char* step) {
  EXPECT_NE(message.find("signal 9"), std::string::npos) << step << ": " << message;
}

// What the operation at `step` is: it must fail with WorkerCrashedError (the child died during it).
void run_step(tf::Worker& w, const std::string& step) {
  if (step == "load" || step == "load-reply") {
    w.load("text-classification", kClassifier).get();
  } else if (step == "unload") {
    w.load("text-classification", kClassifier).get();
    w.unload("text-classification", kClassifier).get();
  } else if (step == "memory") {
    w.load("text-classification", kClassifier).get();
    (void)w.memory_report();
  } else if (step == "stream") {
    tf::WorkerCall c = generate(8);
    c.on_text = [](const tf::StreamChunk&) { return true; };  // go on: the child dies after its first chunk
    w.submit(c).get();
  } else {  // call, call-reply, call-reply-half
    w.submit(classify("I loved it")).get();
  }
}

}  // namespace

TEST(KillPoints, AChildKilledAtEachProtocolStepFailsOnlyThatOperation) {
  const std::string want = tf::pipeline("text-classification", kClassifier)("I loved it").to_json();
  const size_t fds_before = open_descriptors();
  for (const char* step : {"load", "load-reply", "unload", "memory", "call", "stream", "call-reply", "call-reply-half"}) {
    SCOPED_TRACE(step);
    std::unique_ptr<tf::Worker> w;
    int pid = 0;
    {
      KillAt kill(step);
      w = tf::make_worker(process_options());
      pid = w->stats().pid;
    }
    expect_killed(tf::fixtures::message_of<tf::WorkerCrashedError>([&] { run_step(*w, step); }), step);
    EXPECT_FALSE(w->alive());
    EXPECT_THROW(w->submit(classify("again")).get(), tf::WorkerCrashedError);
    w.reset();
    // Reaped by the host, not left a zombie; its socket closed.
    EXPECT_EQ(::waitpid(pid, nullptr, WNOHANG), -1);
    EXPECT_EQ(errno, ECHILD);
    EXPECT_EQ(open_descriptors(), fds_before);
    auto fresh = tf::make_worker(process_options());
    EXPECT_EQ(fresh->submit(classify("I loved it")).get().to_json(), want);
  }
  EXPECT_EQ(open_descriptors(), fds_before);
}

// Killed before answering hello: the worker is never made, the error says how the child ended.
TEST(KillPoints, AChildKilledBeforeItsHelloFailsTheStart) {
  const size_t fds_before = open_descriptors();
  KillAt kill("hello");
  const std::string msg = tf::fixtures::message_of<tf::WorkerCrashedError>([] { tf::make_worker(process_options()); });
  EXPECT_NE(msg.find("before answering hello"), std::string::npos) << msg;
  expect_killed(msg, "hello");
  EXPECT_EQ(open_descriptors(), fds_before);
}

// Killed after reading terminate: terminate() still ends with the child gone and reaped, no error to the
// caller who asked for exactly that; later calls are refused as terminated.
TEST(KillPoints, AChildKilledWhileTerminatingStillEndsTheWorker) {
  const size_t fds_before = open_descriptors();
  std::unique_ptr<tf::Worker> w;
  {
    KillAt kill("terminate");
    w = tf::make_worker(process_options());
  }
  const int pid = w->stats().pid;
  w->load("text-classification", kClassifier).get();
  EXPECT_NO_THROW(w->terminate());
  EXPECT_FALSE(w->alive());
  EXPECT_THROW(w->submit(classify("x")).get(), tf::Error);
  w.reset();
  EXPECT_EQ(::waitpid(pid, nullptr, WNOHANG), -1);
  EXPECT_EQ(open_descriptors(), fds_before);
}

// A pool's worker killed mid-call: that call fails, the pool starts a new child and the next call answers.
TEST(KillPoints, APoolReplacesAWorkerKilledMidCall) {
  const std::string want = tf::pipeline("text-classification", kClassifier)("I loved it").to_json();
  tf::WorkerPoolOptions o;
  o.workers = 1;
  o.worker = process_options();
  // Only the first child gets the kill point: the one started after the crash is a healthy replacement.
  auto started = std::make_shared<std::atomic<int>>(0);
  o.factory = [started](const tf::WorkerOptions& w) {
    if (started->fetch_add(1) > 0) return tf::make_worker(w);
    KillAt kill("call");
    return tf::make_worker(w);
  };
  auto pool = std::make_unique<tf::WorkerPool>(o);
  EXPECT_THROW(pool->submit(classify("I loved it")).get(), tf::WorkerCrashedError);
  EXPECT_EQ(pool->submit(classify("I loved it")).get().to_json(), want);
  EXPECT_EQ(started->load(), 2);
}
