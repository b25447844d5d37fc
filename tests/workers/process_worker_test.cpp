// ProcessWorker with real child processes and real sockets: results equal in-process ones bit for bit,
// typed errors, crashes (SIGKILL, abort, health), malformed frames both ways, the memory cap, and what
// the host keeps afterwards (/proc: zombies, descriptors, RSS).
#include "process_fake_child.hpp"
// (first: a re-executed test binary becomes a fake child before anything else runs)

#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "test_support.hpp"
#include "transformers/transformers.hpp"
#include "transformers/worker.hpp"
#include "workers/process_spawn.hpp"

namespace tf = transformers;
namespace fs = std::filesystem;
namespace proto = transformers::workers::protocol;

namespace {

const fs::path kClassifier = tf::fixtures::model("tiny-bert-sentiment");
const fs::path kEmbedder = tf::fixtures::model("tiny-bert-embedder");
tf::WorkerOptions process_options() {
  tf::WorkerOptions o;
  o.kind = tf::WorkerKind::process;
  o.executable = TRANSFORMERS_CLI_PATH;
  return o;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Children of this process in state Z (zombie), from /proc.
std::vector<int> zombie_children() {
  std::vector<int> zombies;
  const std::string self = std::to_string(getpid());
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const std::string stat = read_file(e.path() / "stat");
    const size_t close = stat.rfind(')');
    if (close == std::string::npos || close + 4 >= stat.size()) continue;
    std::istringstream rest(stat.substr(close + 2));
    std::string state, ppid;
    rest >> state >> ppid;
    if (ppid == self && state == "Z") zombies.push_back(std::stoi(e.path().filename().string()));
  }
  return zombies;
}

// This process's descriptors and what they point to.
std::map<std::string, std::string> open_fds() {
  std::map<std::string, std::string> fds;
  for (const auto& e : fs::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    fds[e.path().filename().string()] = fs::read_symlink(e.path(), ec).string();
  }
  return fds;
}

std::string describe(const std::map<std::string, std::string>& fds) {
  std::string s;
  for (const auto& [fd, target] : fds) s += fd + "->" + target + " ";
  return s;
}

// CPU ticks (user + system) of a process, from /proc/<pid>/stat.
long cpu_ticks(int pid) {
  const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream rest(stat.substr(close + 2));
  std::string field;
  long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stol(field);
    if (i == 15) stime = std::stol(field);
  }
  return utime + stime;
}

void expect_same(const tf::Output& a, const tf::Output& b) {
  ASSERT_EQ(a.is_labels(), b.is_labels());
  EXPECT_EQ(a.batched_input(), b.batched_input());
  EXPECT_TRUE(a == b);
  EXPECT_EQ(a.to_json(), b.to_json());
  if (a.is_labels()) {
    ASSERT_EQ(a.labels().size(), b.labels().size());
    for (size_t i = 0; i < a.labels().size(); ++i) {
      ASSERT_EQ(a.labels()[i].size(), b.labels()[i].size());
      for (size_t j = 0; j < a.labels()[i].size(); ++j) {
        EXPECT_EQ(a.labels()[i][j].label, b.labels()[i][j].label);
        EXPECT_EQ(std::memcmp(&a.labels()[i][j].score, &b.labels()[i][j].score, sizeof(float)), 0);
      }
    }
  } else {
    EXPECT_EQ(a.tensor().dims, b.tensor().dims);
    ASSERT_EQ(a.tensor().data.size(), b.tensor().data.size());
    EXPECT_EQ(std::memcmp(a.tensor().data.data(), b.tensor().data.data(), a.tensor().data.size() * sizeof(float)), 0);
  }
}

tf::WorkerCall call_of(const fs::path& model, std::string task, std::vector<std::string> inputs,
                       tf::CallOptions options = {}, bool batched = true) {
  tf::WorkerCall c;
  c.task = std::move(task);
  c.model = model;
  c.inputs = std::move(inputs);
  c.call_options = options;
  c.batched = batched;
  return c;
}

std::string long_text(int words) {
  std::string s;
  for (int i = 0; i < words; ++i) s += (i % 3 ? "hello " : "world ");
  return s;
}

// A call long enough to be caught mid-way on any machine: 128 x 512 tokens on the tiny classifier take
// ~0.1 s on a fast core (16 x 512: 12 ms, shorter than the 10 ms CPU ticks the kill test watches need).
// Always the committed fixture, so the workload does not depend on what else this machine has.
std::vector<std::string> long_call_batch() { return std::vector<std::string>(128, long_text(600)); }


// A symlink to this test binary whose name tells the re-executed binary which fake child to play.
fs::path fake_children_dir() { return fs::temp_directory_path() / ("tfcpp-fake-" + std::to_string(getpid())); }

fs::path fake_child_path(const std::string& mode) {
  const fs::path dir = fake_children_dir();
  fs::create_directories(dir);
  const fs::path link = dir / mode;
  std::error_code ec;
  fs::remove(link, ec);
  fs::create_symlink(fs::read_symlink("/proc/self/exe"), link);
  return link;
}

class ProcessWorkerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // ONNX Runtime's process-wide state (and its descriptors) exists before we count.
    static const bool runtime_ready = [] {
      tf::pipeline("text-classification", kClassifier)(std::vector<std::string>{"warm up"});
      return true;
    }();
    (void)runtime_ready;
    fds_before_ = open_fds();
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(fake_children_dir(), ec);
    EXPECT_TRUE(zombie_children().empty()) << "a child was left unreaped";
    const auto after = open_fds();
    EXPECT_EQ(after.size(), fds_before_.size()) << "descriptors leaked: before " << describe(fds_before_) << "after "
                                                << describe(after);
  }
  std::map<std::string, std::string> fds_before_;
};

}  // namespace

TEST_F(ProcessWorkerTest, ResultsEqualInProcessBitForBit) {
  // A tiny shared-memory threshold sends every tensor through a memfd; the default keeps them inline.
  for (size_t threshold : {size_t{256} << 10, size_t{512}}) {
    auto options = process_options();
    options.shared_memory_threshold = threshold;
    auto worker = tf::make_worker(options);
    EXPECT_EQ(worker->kind(), tf::WorkerKind::process);
    EXPECT_NE(worker->stats().pid, getpid());

    auto classify = tf::pipeline("sentiment-analysis", kClassifier);
    const std::vector<std::string> texts = {"I love this", "terrible, awful", long_text(40), "é ü ß 漢字"};
    for (std::optional<int> k : {std::optional<int>(1), std::optional<int>(2), std::optional<int>()}) {
      tf::TextClassificationOptions o;
      o.top_k = k;
      expect_same(worker->submit(call_of(kClassifier, "sentiment-analysis", texts, o)).get(), classify(texts, o));
      expect_same(worker->submit(call_of(kClassifier, "text-classification", {texts[0]}, o, false)).get(),
                  classify(texts[0], o));
    }
    // Inputs over the threshold travel to the child through a memfd too.
    const std::vector<std::string> big(16, long_text(600));
    expect_same(worker->submit(call_of(kClassifier, "text-classification", big)).get(), classify(big));
    tf::TextClassificationOptions sig;
    sig.function_to_apply = tf::FunctionToApply::sigmoid;
    expect_same(worker->submit(call_of(kClassifier, "text-classification", texts, sig)).get(), classify(texts, sig));

    auto embed = tf::pipeline("feature-extraction", kEmbedder);
    for (auto pooling : {tf::Pooling::none, tf::Pooling::mean, tf::Pooling::cls, tf::Pooling::last_token}) {
      tf::FeatureExtractionOptions o;
      o.pooling = pooling;
      o.normalize = pooling != tf::Pooling::none;
      expect_same(worker->submit(call_of(kEmbedder, "embeddings", texts, o)).get(), embed(texts, o));
    }
    const auto stats = worker->stats();
    EXPECT_EQ(stats.calls_completed, 12u);
    EXPECT_EQ(stats.pipelines_loaded, 2u);  // classification under two names is one pipeline
    worker->terminate();
    EXPECT_FALSE(worker->alive());
  }
}

TEST_F(ProcessWorkerTest, ErrorsComeBackTypedWithTheChildsMessageAndTheWorkerStaysUsable) {
  auto worker = tf::make_worker(process_options());
  const fs::path missing = tf::fixtures::root() / "models" / "no-such-model";
  const std::string in_process_load =
      tf::fixtures::message_of<tf::ModelLoadError>([&] { tf::pipeline("text-classification", missing); });
  EXPECT_EQ(tf::fixtures::message_of<tf::ModelLoadError>(
                [&] { worker->load("text-classification", missing).get(); }),
            in_process_load);
  EXPECT_EQ(tf::fixtures::message_of<tf::ModelLoadError>(
                [&] { worker->submit(call_of(missing, "text-classification", {"x"})).get(); }),
            in_process_load);
  EXPECT_NE(tf::fixtures::message_of<tf::InvalidInputError>(
                [&] { worker->submit(call_of(kClassifier, "no-such-task", {"x"})).get(); })
                .find("no-such-task"),
            std::string::npos);
  EXPECT_THROW(worker->submit(call_of(kClassifier, "text-classification", {"a", "b"}, {}, false)).get(),
               tf::InvalidInputError);
  auto classify = tf::pipeline("text-classification", kClassifier);
  const std::string bad_utf8 = "bad \xff\xfe utf-8";
  EXPECT_EQ(tf::fixtures::message_of<tf::InvalidInputError>(
                [&] { worker->submit(call_of(kClassifier, "text-classification", {bad_utf8})).get(); }),
            tf::fixtures::message_of<tf::InvalidInputError>([&] { classify(std::vector<std::string>{bad_utf8}); }));
  tf::TextClassificationOptions negative;
  negative.top_k = -1;
  EXPECT_THROW(worker->submit(call_of(kClassifier, "text-classification", {"x"}, negative)).get(),
               tf::InvalidInputError);
  // Still usable, and counted.
  expect_same(worker->submit(call_of(kClassifier, "text-classification", {"fine"})).get(),
              classify(std::vector<std::string>{"fine"}));
  EXPECT_TRUE(worker->alive());
  EXPECT_EQ(worker->stats().calls_failed, 5u);
  EXPECT_EQ(worker->stats().calls_completed, 1u);
}

TEST_F(ProcessWorkerTest, LoadUnloadAndTheChildsMemoryReport) {
  auto worker = tf::make_worker(process_options());
  worker->load("embeddings", kEmbedder).get();
  worker->load("feature-extraction", kEmbedder).get();  // the same pipeline
  EXPECT_EQ(worker->stats().pipelines_loaded, 1u);
  auto report = worker->memory_report();
  ASSERT_EQ(report.pipelines.size(), 1u);
  EXPECT_EQ(report.pipelines[0].task, "feature-extraction");
  EXPECT_EQ(report.pipelines[0].model, kEmbedder);
  EXPECT_GT(report.process.rss, 0u);
  EXPECT_GT(report.mapped_weights_bytes, 0u);
  EXPECT_TRUE(worker->unload("embeddings", kEmbedder).get());
  EXPECT_FALSE(worker->unload("embeddings", kEmbedder).get());
  EXPECT_TRUE(worker->memory_report().pipelines.empty());
  EXPECT_EQ(worker->stats().pipelines_loaded, 0u);
}

TEST_F(ProcessWorkerTest, TerminateFinishesInFlightCallsThenRefusesMore) {
  auto worker = tf::make_worker(process_options());
  std::vector<std::future<tf::Output>> futures;
  for (int i = 0; i < 6; ++i)
    futures.push_back(worker->submit(call_of(kClassifier, "text-classification", {long_text(20 + i)})));
  worker->terminate();
  for (auto& f : futures) EXPECT_TRUE(f.get().is_labels());
  EXPECT_FALSE(worker->alive());
  EXPECT_THROW(worker->submit(call_of(kClassifier, "text-classification", {"x"})).get(), tf::WorkerTerminatedError);
  EXPECT_THROW(worker->memory_report(), tf::WorkerTerminatedError);
  worker->terminate();  // idempotent
}

TEST_F(ProcessWorkerTest, CallsFromManyThreadsEachGetTheirOwnAnswer) {
  auto worker = tf::make_worker(process_options());
  auto classify = tf::pipeline("text-classification", kClassifier);
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 8; ++i) {
        const std::vector<std::string> in = {long_text(1 + t * 8 + i)};
        if (worker->submit(call_of(kClassifier, "text-classification", in)).get().to_json() != classify(in).to_json())
          ++mismatches[t];
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(mismatches, std::vector<int>(4, 0));
}

TEST_F(ProcessWorkerTest, SigkillMidCallFailsThatCallAndANewWorkerWorks) {
  auto worker = tf::make_worker(process_options());
  const int pid = worker->stats().pid;
  const fs::path model = kClassifier;
  worker->load("text-classification", model).get();
  const std::vector<std::string> batch = long_call_batch();
  std::future<tf::Output> call;
  // Kill while the child is computing: its CPU time grows once the call runs.
  for (int attempt = 0; attempt < 20; ++attempt) {
    const long before = cpu_ticks(pid);
    call = worker->submit(call_of(model, "text-classification", batch));
    while (call.wait_for(std::chrono::milliseconds(1)) != std::future_status::ready && cpu_ticks(pid) <= before + 1) {
    }
    if (call.wait_for(std::chrono::seconds(0)) != std::future_status::ready) break;
    call.get();  // it finished first: try again
  }
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  const std::string msg = tf::fixtures::message_of<tf::WorkerCrashedError>([&] { call.get(); });
  EXPECT_NE(msg.find("signal 9"), std::string::npos) << msg;
  EXPECT_NE(msg.find(std::to_string(pid)), std::string::npos) << msg;
  EXPECT_FALSE(worker->alive());
  EXPECT_EQ(worker->stats().calls_failed, 1u);
  EXPECT_THROW(worker->submit(call_of(kClassifier, "text-classification", {"x"})).get(), tf::WorkerCrashedError);
  worker.reset();

  auto fresh = tf::make_worker(process_options());
  EXPECT_TRUE(fresh->submit(call_of(kClassifier, "text-classification", {"works"})).get().is_labels());
}

TEST_F(ProcessWorkerTest, KillFailsInFlightCallsAsCrashedAndLaterOnesAsTerminated) {
  auto worker = tf::make_worker(process_options());
  worker->load("text-classification", kClassifier).get();
  auto call = worker->submit(call_of(kClassifier, "text-classification", std::vector<std::string>(16, long_text(600))));
  worker->kill();
  // Killed before or while it ran: either way it never answered.
  EXPECT_THROW(call.get(), tf::WorkerCrashedError);
  EXPECT_FALSE(worker->alive());
  EXPECT_THROW(worker->submit(call_of(kClassifier, "text-classification", {"x"})).get(), tf::WorkerTerminatedError);
}

TEST_F(ProcessWorkerTest, ChildThatAbortsOrExitsIsReportedWithItsSignalOrStatus) {
  auto options = process_options();
  options.executable = fake_child_path("crash-in-call");
  auto worker = tf::make_worker(options);
  const std::string msg = tf::fixtures::message_of<tf::WorkerCrashedError>(
      [&] { worker->submit(call_of(kClassifier, "text-classification", {"x"})).get(); });
  EXPECT_NE(msg.find("SIGABRT"), std::string::npos) << msg;
  options.executable = fake_child_path("exit-at-once");
  const std::string early = tf::fixtures::message_of<tf::WorkerCrashedError>([&] { tf::make_worker(options); });
  EXPECT_NE(early.find("exited with status 7 before answering hello"), std::string::npos) << early;
}

TEST_F(ProcessWorkerTest, MalformedFramesFromTheChildAreProtocolErrors) {
  auto options = process_options();
  options.executable = fake_child_path("garbage-at-hello");
  EXPECT_NE(tf::fixtures::message_of<tf::ProtocolError>([&] { tf::make_worker(options); }).find("magic"),
            std::string::npos);
  const std::pair<const char*, const char*> cases[] = {{"truncated-result", "closed in the middle"},
                                                       {"bad-payload", "malformed result payload"},
                                                       {"unknown-id", "not in flight"},
                                                       {"oversized", "over the limit"},
                                                       {"garbage-after-hello", "magic"}};
  for (const auto& [mode, fragment] : cases) {
    options.executable = fake_child_path(mode);
    auto worker = tf::make_worker(options);
    const std::string msg = tf::fixtures::message_of<tf::ProtocolError>(
        [&] { worker->submit(call_of(kClassifier, "text-classification", {"x"})).get(); });
    EXPECT_NE(msg.find(fragment), std::string::npos) << mode << ": " << msg;
    EXPECT_FALSE(worker->alive()) << mode;
  }
}

TEST_F(ProcessWorkerTest, MalformedFramesFromTheHostMakeTheChildSayWhyAndExit) {
  const std::string hello = [] {
    proto::Hello h;
    const std::string payload = proto::encode_hello(h);
    return fake_child::header(proto::MessageType::hello, 1, static_cast<uint32_t>(payload.size())) + payload;
  }();
  const std::pair<std::string, const char*> cases[] = {
      {"garbage garbage garbage garbage", "magic"},
      {fake_child::header(proto::MessageType::call, 2, 5) + "abcde", "expected hello first"},
      {hello + fake_child::header(proto::MessageType::call, 2, 0xfffffff0u), "over the limit"},
      {hello + fake_child::header(proto::MessageType::call, 2, 40) + "short", "closed in the middle"},
      // A malformed call is refused for that call alone; the terminate after it is served.
      {hello + fake_child::header(proto::MessageType::call, 2, 3) + "abc" +
           fake_child::header(proto::MessageType::terminate, 3, 0),
       ""},
      {hello + fake_child::header(proto::MessageType::result, 2, 0), "not a request"}};
  for (const auto& [bytes, fragment] : cases) {
    auto child = tf::workers::spawn_worker_process(TRANSFORMERS_CLI_PATH, 0);
    fake_child::write_all(child.socket, bytes);
    ::shutdown(child.socket, SHUT_WR);  // and nothing more: a cut-short frame stays cut short
    proto::FrameDecoder d;
    std::vector<proto::Frame> frames;
    while (proto::receive_some(child.socket, d))
      while (auto f = d.next()) frames.push_back(std::move(*f));
    const int status = tf::workers::reap_child(child, std::chrono::milliseconds(10000));
    ::close(child.socket);
    if (child.pidfd >= 0) ::close(child.pidfd);
    auto error_frame = std::find_if(frames.begin(), frames.end(),
                                    [](const proto::Frame& f) { return f.header.type == proto::MessageType::error; });
    ASSERT_NE(error_frame, frames.end()) << fragment;
    const auto error = proto::decode_error(error_frame->payload());
    if (std::string(fragment).empty()) {
      EXPECT_EQ(error_frame->header.request_id, 2u);
      EXPECT_NE(error.message.find("malformed call payload"), std::string::npos) << error.message;
      EXPECT_EQ(frames.back().header.type, proto::MessageType::bye);
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << tf::workers::describe_wait_status(status);
    } else {
      EXPECT_EQ(error.kind, proto::ErrorKind::protocol);
      EXPECT_NE(error.message.find(fragment), std::string::npos) << error.message;
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 3) << tf::workers::describe_wait_status(status);
    }
  }
}

TEST_F(ProcessWorkerTest, TheChildExitsWhenTheHostGoesAway) {
  // The host's end closes (as when the host dies) while a long call is queued behind another.
  auto child = tf::workers::spawn_worker_process(TRANSFORMERS_CLI_PATH, 0);
  proto::Hello hello;
  proto::send_frame(child.socket, proto::MessageType::hello, 1, proto::encode_hello(hello));
  tf::WorkerCall call = call_of(kClassifier, "text-classification", long_call_batch());
  proto::send_frame(child.socket, proto::MessageType::call, 2, proto::encode_call(call));
  proto::send_frame(child.socket, proto::MessageType::call, 3, proto::encode_call(call));
  ::close(child.socket);
  // It finishes at most the call it runs, drops the queued one and exits 0 by itself (a SIGKILL after the
  // grace period would show as signal 9).
  const int status = tf::workers::reap_child(child, std::chrono::milliseconds(20000));
  if (child.pidfd >= 0) ::close(child.pidfd);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << tf::workers::describe_wait_status(status);
}

TEST_F(ProcessWorkerTest, ASilentChildFailsItsHealthCheck) {
  auto options = process_options();
  options.executable = fake_child_path("silent");
  options.health_interval = std::chrono::milliseconds(20);
  // The timeout also bounds the hello: the fake child is this test binary (ONNX Runtime linked), which
  // a loaded 2-core machine may take longer than 200 ms to start.
  options.health_timeout = std::chrono::milliseconds(2000);
  auto worker = tf::make_worker(options);
  const std::string msg = tf::fixtures::message_of<tf::WorkerCrashedError>(
      [&] { worker->submit(call_of(kClassifier, "text-classification", {"x"})).get(); });
  EXPECT_NE(msg.find("health ping"), std::string::npos) << msg;
  EXPECT_NE(msg.find("signal 9"), std::string::npos) << msg;
}

TEST_F(ProcessWorkerTest, ExecutableIsResolvedOrTheErrorNamesWhatWasTried) {
  auto options = process_options();
  options.executable = "/no/such/transformers-cpp";
  EXPECT_NE(tf::fixtures::message_of<tf::Error>([&] { tf::make_worker(options); }).find("/no/such/transformers-cpp"),
            std::string::npos);
  options.executable.clear();
  ASSERT_EQ(setenv("TRANSFORMERS_WORKER_EXECUTABLE", "/also/missing", 1), 0);
  const std::string msg = tf::fixtures::message_of<tf::Error>([&] { tf::make_worker(options); });
  EXPECT_NE(msg.find("/also/missing"), std::string::npos) << msg;
  EXPECT_NE(msg.find("PATH"), std::string::npos) << msg;
  ASSERT_EQ(setenv("TRANSFORMERS_WORKER_EXECUTABLE", TRANSFORMERS_CLI_PATH, 1), 0);
  auto worker = tf::make_worker(options);
  EXPECT_TRUE(worker->submit(call_of(kClassifier, "text-classification", {"x"})).get().is_labels());
  unsetenv("TRANSFORMERS_WORKER_EXECUTABLE");
}

TEST_F(ProcessWorkerTest, MemoryCapEndsOrRefusesOnlyThatWorker) {
  auto options = process_options();
  options.memory_limit_bytes = 0;
  // The child's own address space after a small call tells how much room to leave: it starts and
  // runs a small call, but cannot hold a 16 x 512 batch's activations on top.
  uint64_t idle_vm = 0;
  {
    auto probe = tf::make_worker(options);
    probe->submit(call_of(kClassifier, "text-classification", {"x"})).get();
    const std::string status = read_file("/proc/" + std::to_string(probe->stats().pid) + "/status");
    const size_t at = status.find("VmPeak:");
    ASSERT_NE(at, std::string::npos);
    idle_vm = std::stoull(status.substr(at + 7)) << 10;
  }
  options.memory_limit_bytes = idle_vm + (32u << 20);
  auto worker = tf::make_worker(options);
  bool refused_or_crashed = false;
  try {
    worker->submit(call_of(kClassifier, "text-classification", std::vector<std::string>(64, long_text(600)))).get();
  } catch (const tf::WorkerCrashedError&) {
    refused_or_crashed = true;  // the child died
    EXPECT_FALSE(worker->alive());
  } catch (const tf::Error& e) {
    refused_or_crashed = true;  // the child refused the allocation and goes on
    EXPECT_TRUE(worker->alive()) << e.what();
    EXPECT_TRUE(worker->submit(call_of(kClassifier, "text-classification", {"x"})).get().is_labels());
  }
  EXPECT_TRUE(refused_or_crashed);
  // The host is untouched and a fresh uncapped worker works.
  auto fresh = tf::make_worker(process_options());
  EXPECT_TRUE(fresh->submit(call_of(kClassifier, "text-classification", {"x"})).get().is_labels());
}

TEST_F(ProcessWorkerTest, HostRssReturnsWithinFourMiBAfterTheWorkerEnds) {
  SKIP_RSS_UNDER_ASAN();
  const uint64_t before = tf::process_memory().rss;
  {
    auto worker = tf::make_worker(process_options());
    worker->load("feature-extraction", kEmbedder).get();
    for (int i = 0; i < 20; ++i) {
      tf::FeatureExtractionOptions o;
      o.pooling = tf::Pooling::none;
      worker->submit(call_of(kEmbedder, "feature-extraction", std::vector<std::string>(8, long_text(60)), o)).get();
    }
    worker->memory_report();
    worker->terminate();
  }
  const uint64_t after = tf::process_memory().rss;
  EXPECT_LE(after, before + (4u << 20)) << "before " << before << " after " << after;
}
