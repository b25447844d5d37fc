// The server's control over what reaches it: errors, limits, authentication, deadlines, backpressure,
// model control under the budget, process workers that crash, a graceful stop, and garbage on the socket.
#include <signal.h>

#include <cstring>

#include <random>
#include <thread>

#include "server/served_models.hpp"
#include "server_fixture.hpp"
#include "transformers/pipeline_manager.hpp"

namespace {

using namespace server_test;
using nlohmann::json;
using namespace std::chrono_literals;

TEST(ServerControl, ErrorsAreJsonWithAStatusAndACode) {
  srv::ServeOptions o = default_options();
  o.http.max_body_bytes = 4096;
  o.max_inputs = 4;
  o.max_input_bytes = 100;
  RunningServer s(o);
  struct Case {
    std::string method, target, body;
    int status;
    std::string code;
  };
  const std::vector<Case> cases = {
      {"GET", "/nowhere", "", 404, "not_found"},
      {"GET", "/v1/embeddings", "", 405, "method_not_allowed"},
      {"POST", "/v1/embeddings", "{not json", 400, "invalid_json"},
      {"POST", "/v1/embeddings", "[1]", 400, "invalid_input"},
      {"POST", "/v1/embeddings", R"({"model":"missing","input":"x"})", 404, "model_not_found"},
      {"POST", "/v1/embeddings", R"({"model":"../../etc","input":"x"})", 404, "model_not_found"},
      {"POST", "/embed", R"({"inputs":["a","b","c","d","e"]})", 413, "too_large"},
      {"POST", "/embed", R"({"inputs":")" + std::string(101, 'x') + R"("})", 413, "too_large"},
      {"POST", "/embed", R"({"inputs":"x","pooling":"max"})", 400, "invalid_input"},
      {"POST", "/embed", "{\"inputs\":\"" + std::string(5000, 'x') + "\"}", 413, "too_large"},
      {"POST", "/v1/pipeline/no-such-task", R"({"inputs":"x"})", 400, "invalid_input"},
      {"POST", "/v1/pipeline/text-classification", R"({"inputs":"x","options":{"top_kk":1}})", 400, "invalid_input"},
      {"POST", "/embed", "{\"inputs\":\"\xff\xfe\"}", 400, "invalid_json"},
      {"POST", "/embed", "{\"inputs\":" + std::string(2000, '[') + std::string(2000, ']') + "}", 400, "invalid_input"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.method + " " + c.target + " " + c.body.substr(0, 60));
    const auto r = test_http::request(s.port(), c.method, c.target, c.body);
    EXPECT_EQ(r.status, c.status) << r.body;
    json j;
    ASSERT_NO_THROW(j = r.json()) << r.body;
    EXPECT_EQ(j["error"]["code"], c.code) << r.body;
    EXPECT_FALSE(j["error"]["message"].get<std::string>().empty());
  }
  // The server is still fine.
  EXPECT_EQ(test_http::post(s.port(), "/embed", {{"inputs", "fine"}}).status, 200);
}

// Found by bench/server/faults.py: a 6 MB body of nested arrays overflowed a handler thread's stack when
// the route copied the value (the server died). Refused before parsing now.
TEST(ServerControl, ADeeplyNestedBodyIsRefusedNotACrash) {
  RunningServer s;
  const std::string deep = "{\"inputs\":" + std::string(3'000'000, '[') + std::string(3'000'000, ']') + "}";
  const auto r = test_http::request(s.port(), "POST", "/embed", deep);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("nests 3000001 levels deep"), std::string::npos) << r.body.substr(0, 300);
  EXPECT_EQ(test_http::post(s.port(), "/embed", {{"inputs", "still here"}}).status, 200);
}

TEST(ServerControl, ApiKeyOnEveryRouteButHealth) {
  srv::ServeOptions o = default_options();
  o.api_key = "s3cret-key";
  RunningServer s(o);
  EXPECT_EQ(test_http::request(s.port(), "GET", "/v2/health/live").status, 200);
  EXPECT_EQ(test_http::request(s.port(), "GET", "/health").status, 200);
  for (const char* target : {"/v1/models", "/metrics", "/v2/models/emb", "/info"}) {
    EXPECT_EQ(test_http::request(s.port(), "GET", target).status, 401) << target;
    EXPECT_EQ(test_http::request(s.port(), "GET", target, "", {{"Authorization", "Bearer s3cret-kez"}}).status, 401) << target;
    EXPECT_EQ(test_http::request(s.port(), "GET", target, "", {{"Authorization", "Bearer s3cret-key"}}).status, 200) << target;
  }
  EXPECT_EQ(test_http::post(s.port(), "/embed", {{"inputs", "x"}}, {{"x-api-key", "s3cret-key"}}).status, 200);
  EXPECT_EQ(test_http::post(s.port(), "/embed", {{"inputs", "x"}}, {{"x-api-key", "s3cret"}}).status, 401);
}

TEST(ServerControl, SlowHeadersAndBodiesAreCutKeepAliveWorks) {
  srv::ServeOptions o = default_options();
  o.http.header_timeout = 300ms;
  o.http.body_timeout = 300ms;
  RunningServer s(o);
  // A client too slow for a deadline is cut off (the socket closed), its request never handled.
  for (const std::string partial : {"GET /v2/health/live HTTP/1.1\r\nHost: x\r\n",  // headers never end
                                    "POST /embed HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"inputs\""}) {  // short body
    test_http::RawSocket slow(s.port());
    ASSERT_TRUE(slow.connected());
    slow.send(partial);
    const auto t0 = std::chrono::steady_clock::now();
    const std::string got = slow.read(3s);
    EXPECT_TRUE(slow.closed());
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
    EXPECT_EQ(got, "");
  }
  // One connection, several requests.
  test_http::Client c(s.port());
  for (int i = 0; i < 3; ++i) EXPECT_EQ(c.request("GET", "/v2/health/live").status, 200);
  // Expect: 100-continue is answered.
  test_http::RawSocket cont(s.port());
  const std::string body = R"({"inputs":"x"})";
  cont.send("POST /embed HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n");
  EXPECT_NE(cont.read(2s, "100 Continue").find("100 Continue"), std::string::npos);
  cont.send(body);
  EXPECT_NE(cont.read(5s, "]]").find("200 OK"), std::string::npos);
}

TEST(ServerControl, BeyondTheQueueRequestsGet429AtOnce) {
  srv::ServeOptions o = default_options();
  o.max_concurrent = 1;
  o.max_queue = 0;
  RunningServer s(o);
  // 64 generations in one request (~0.6 s here) hold the one slot while they run.
  std::thread running([&] {
    const auto r = test_http::post(s.port(), "/v1/completions",
                                   {{"model", "gpt"}, {"prompt", std::vector<std::string>(64, "hi")}, {"max_tokens", 120}, {"min_tokens", 120}});
    EXPECT_EQ(r.status, 200) << r.body.substr(0, 300);
  });
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (test_http::request(s.port(), "GET", "/metrics").body.find("tcpp_requests_running 1") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(2ms);
  }
  const auto t0 = std::chrono::steady_clock::now();
  const auto refused = test_http::post(s.port(), "/embed", {{"inputs", "x"}});
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
  EXPECT_EQ(refused.status, 429) << refused.body;
  EXPECT_EQ(refused.json()["error"]["code"], "queue_full") << refused.body;
  // Health is no inference: it still answers.
  EXPECT_EQ(test_http::request(s.port(), "GET", "/v2/health/live").status, 200);
  running.join();
  EXPECT_EQ(test_http::post(s.port(), "/embed", {{"inputs", "x"}}).status, 200);
  const auto metrics = test_http::request(s.port(), "GET", "/metrics").body;
  EXPECT_NE(metrics.find("tcpp_requests_rejected_total 1"), std::string::npos) << metrics;
}

TEST(ServerControl, TheBudgetHoldsAcrossModelsWithLruEvictionAnd507) {
  transformers::PipelineManager probe;
  const uint64_t emb = probe.estimate_load_bytes("feature-extraction", fixtures::model("tiny-bert-embedder"), {});
  const uint64_t sent = probe.estimate_load_bytes("text-classification", fixtures::model("tiny-bert-sentiment"), {});
  srv::ServeOptions o = default_options();
  o.models = {spec("emb", "feature-extraction", "tiny-bert-embedder"), spec("sent", "text-classification", "tiny-bert-sentiment")};
  // Room for either model and its working memory, not for both.
  o.budget_bytes = std::max(emb, sent) + std::min(emb, sent) / 2;
  {
    RunningServer s(o);
    for (int round = 0; round < 2; ++round) {
      EXPECT_EQ(test_http::post(s.port(), "/embed", {{"inputs", "a"}}).status, 200);
      EXPECT_EQ(test_http::post(s.port(), "/predict", {{"inputs", "a"}}).status, 200);
    }
    const auto index = test_http::post(s.port(), "/v2/repository/index", json::object()).json();
    int loaded = 0;
    for (const auto& m : index) loaded += m["state"] == "READY";
    EXPECT_EQ(loaded, 1) << index.dump();
    const std::string metrics = test_http::request(s.port(), "GET", "/metrics").body;
    EXPECT_NE(metrics.find("tcpp_model_evictions_total{model=\"emb\"} 2"), std::string::npos) << metrics;
  }
  o.budget_bytes = std::min(emb, sent) / 2;  // fits nothing
  RunningServer small(o);
  const auto r = test_http::post(small.port(), "/embed", {{"inputs", "a"}});
  EXPECT_EQ(r.status, 507) << r.body;
  EXPECT_EQ(r.json()["error"]["code"], "budget_exceeded");
  EXPECT_EQ(test_http::request(small.port(), "GET", "/v2/health/live").status, 200);
}

TEST(ServerControl, ExplicitModelControlLoadsAndUnloadsByTheRepositoryApi) {
  srv::ServeOptions o = default_options();
  o.models = {spec("emb", "feature-extraction", "tiny-bert-embedder")};
  o.control = srv::ModelControl::explicit_;
  RunningServer s(o);  // explicit: loaded at start
  EXPECT_EQ(test_http::request(s.port(), "GET", "/v2/models/emb/ready").status, 200);
  EXPECT_EQ(test_http::post(s.port(), "/v2/repository/models/emb/unload", json::object()).status, 200);
  EXPECT_EQ(test_http::request(s.port(), "GET", "/v2/models/emb/ready").status, 503);
  const auto refused = test_http::post(s.port(), "/embed", {{"inputs", "a"}});
  EXPECT_EQ(refused.status, 503);
  EXPECT_EQ(refused.json()["error"]["code"], "model_not_loaded");
  EXPECT_EQ(test_http::post(s.port(), "/v2/repository/index", json::object()).json()[0]["state"], "UNAVAILABLE");
  EXPECT_EQ(test_http::post(s.port(), "/v2/repository/models/emb/load", json::object()).status, 200);
  EXPECT_EQ(test_http::post(s.port(), "/embed", {{"inputs", "a"}}).status, 200);
  EXPECT_EQ(test_http::post(s.port(), "/v2/repository/models/other/load", json::object()).status, 404);
}

TEST(ServerControl, AProcessWorkerKilledFailsOnlyItsModelsRequestsAndRestarts) {
  setenv("TRANSFORMERS_WORKER_EXECUTABLE", TRANSFORMERS_CLI_PATH, 1);
  srv::ServeOptions o = default_options();
  o.models = {spec("emb", "feature-extraction", "tiny-bert-embedder"), spec("gpt", "text-generation", "tiny-gpt2")};
  o.workers = srv::ServeWorkers::process;
  RunningServer s(o);
  const auto in_process = test_http::post(s.port(), "/embed", {{"inputs", "a text"}});
  ASSERT_EQ(in_process.status, 200) << in_process.body;
  {
    RunningServer plain;  // the same answer as in process
    EXPECT_EQ(test_http::post(plain.port(), "/embed", {{"inputs", "a text"}}).body, in_process.body);
  }
  ASSERT_EQ(test_http::post(s.port(), "/v1/completions", {{"model", "gpt"}, {"prompt", "hi"}, {"max_tokens", 2}}).status, 200);
  std::thread slow([&] {
    // 64 prompts, one worker call each: the kill lands inside one of them.
    const auto r = test_http::post(s.port(), "/v1/completions",
                                   {{"model", "gpt"}, {"prompt", std::vector<std::string>(64, "hi")}, {"max_tokens", 120}, {"min_tokens", 120}});
    EXPECT_EQ(r.status, 503) << r.body;
    EXPECT_EQ(r.json()["error"]["code"], "worker_crashed");
  });
  std::this_thread::sleep_for(300ms);
  // The generation worker's pid, from the server's own view of its models.
  const std::string metrics = test_http::request(s.port(), "GET", "/metrics").body;
  const size_t at = metrics.find("tcpp_model_worker_pid{model=\"gpt\"} ");
  ASSERT_NE(at, std::string::npos) << metrics;
  const int pid = std::stoi(metrics.substr(at + std::strlen("tcpp_model_worker_pid{model=\"gpt\"} ")));
  ASSERT_GT(pid, 0);
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  slow.join();
  // The other model never noticed; the killed one answers again from a fresh worker.
  EXPECT_EQ(test_http::post(s.port(), "/embed", {{"inputs", "a text"}}).body, in_process.body);
  EXPECT_EQ(test_http::post(s.port(), "/v1/completions", {{"model", "gpt"}, {"prompt", "hi"}, {"max_tokens", 2}}).status, 200);
}

TEST(ServerControl, StopDrainsTheRequestsInFlight) {
  RunningServer s;
  std::string streamed;
  std::thread client([&] {
    const auto r = test_http::post(s.port(), "/v1/completions", {{"model", "gpt"}, {"prompt", "hi"}, {"max_tokens", 60}, {"min_tokens", 60}, {"stream", true}});
    streamed = r.body;
  });
  std::this_thread::sleep_for(150ms);
  s.stop();
  client.join();
  EXPECT_NE(streamed.find("data: [DONE]"), std::string::npos) << streamed.substr(0, 300);
  test_http::RawSocket after(s.port());
  EXPECT_FALSE(after.connected());
}

TEST(ServerControl, GarbageOnTheSocketCrashesNothing) {
  RunningServer s;
  std::mt19937 rng(7);
  const std::vector<std::string> starts = {"", "GET ", "POST /embed HTTP/1.1\r\n", "POST /v2/models/emb/infer HTTP/1.1\r\nContent-Length: 5\r\n\r\n",
                                           "GET / HTTP/9.9\r\n\r\n", "POST /embed HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"};
  for (int i = 0; i < 300; ++i) {
    test_http::RawSocket sock(s.port());
    std::string junk = starts[i % starts.size()];
    const size_t n = rng() % 300;
    for (size_t k = 0; k < n; ++k) junk.push_back(static_cast<char>(rng() % 256));
    if (i % 3 == 0) junk += "\r\n\r\n";
    sock.send(junk);
    sock.read(i % 10 == 0 ? 200ms : 5ms);
  }
  const auto r = test_http::post(s.port(), "/embed", {{"inputs", "still here"}});
  EXPECT_EQ(r.status, 200);
}

}  // namespace
