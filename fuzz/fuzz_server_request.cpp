// The server's request handling without sockets: InferenceServer::handle() (routing, authentication, the
// bodies of every protocol: OpenAI, TEI, the native route, KServe v2 JSON, the repository API), over the
// fixture models in process. The first byte picks a route (or, past the table, the method and path come
// from the input up to its first newline), the second the headers; the rest is the body. Every answer
// must be a status 200..599 whose errors are `{"error":{"code","message"}}`, and never a 500: a 500 is an
// exception nobody classified (bad input must be a 4xx naming what is wrong). A streamed answer is read to
// its end, or dropped after a few chunks as a client that goes away.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/inference_server.hpp"

namespace srv = transformers::server;

namespace {

struct RouteTemplate {
  const char* method;
  const char* path;
};

const RouteTemplate kRoutes[] = {
    {"POST", "/v1/embeddings"},
    {"POST", "/v1/completions"},
    {"POST", "/v1/chat/completions"},
    {"POST", "/embed"},
    {"POST", "/predict"},
    {"POST", "/v1/pipeline/feature-extraction"},
    {"POST", "/v1/pipeline/text-classification"},
    {"POST", "/v1/pipeline/question-answering"},
    {"POST", "/v1/pipeline/zero-shot-classification"},
    {"POST", "/v1/pipeline/token-classification"},
    {"POST", "/v1/pipeline/text-generation"},
    {"POST", "/v2/models/emb/infer"},
    {"POST", "/v2/models/sent/infer"},
    {"POST", "/v2/models/qa/infer"},
    {"POST", "/v2/models/gpt/infer"},
    {"POST", "/v2/models/nli/versions/1/infer"},
    {"POST", "/v2/repository/index"},
    {"POST", "/v2/repository/models/ner/load"},
    {"POST", "/v2/repository/models/ner/unload"},
    {"GET", "/v1/models"},
    {"GET", "/info"},
    {"GET", "/metrics"},
    {"GET", "/v2/models/emb"},
    {"HEAD", "/v2/health/ready"},
};
constexpr size_t kRouteCount = sizeof kRoutes / sizeof kRoutes[0];

srv::ModelSpec fixture(const char* name, const char* task, const char* folder) {
  return {name, task, std::string(TRANSFORMERS_FIXTURES_DIR) + "/models/" + folder};
}

srv::InferenceServer& server() {
  static std::unique_ptr<srv::InferenceServer> s = [] {
    srv::ServeOptions o;
    o.models = {fixture("emb", "feature-extraction", "tiny-bert-embedder"),
                fixture("sent", "text-classification", "tiny-bert-sentiment"),
                fixture("nli", "zero-shot-classification", "tiny-bert-nli"),
                fixture("qa", "question-answering", "tiny-bert-qa"),
                fixture("ner", "token-classification", "tiny-bert-ner"),
                fixture("gpt", "text-generation", "tiny-gpt2")};
    o.api_key = "fuzz-key";
    o.max_inputs = 16;  // keeps one input's work small; the limit itself is part of what is fuzzed
    o.batching.max_wait = std::chrono::microseconds(0);  // one caller: nothing to wait for
    return std::make_unique<srv::InferenceServer>(std::move(o));  // never start()ed: no sockets
  }();
  return *s;
}

struct DiscardSink : srv::ChunkSink {
  size_t left;
  explicit DiscardSink(size_t chunks) : left(chunks) {}
  bool write(std::string_view) override { return left-- > 0; }
};

[[noreturn]] void fail(const char* what, const srv::HttpRequest& r, const srv::HttpResponse& res) {
  std::fprintf(stderr, "%s: %s %s -> %d %s\n", what, r.method.c_str(), r.path.c_str(), res.status, res.body.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  srv::HttpRequest r;
  std::string_view rest(reinterpret_cast<const char*>(data + 2), size - 2);
  const size_t pick = data[0] % (kRouteCount + 1);
  if (pick < kRouteCount) {
    r.method = kRoutes[pick].method;
    r.path = kRoutes[pick].path;
  } else {  // "METHOD /path?query\n" then the body
    const size_t nl = rest.find('\n');
    const std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    const size_t sp = line.find(' ');
    r.method = std::string(line.substr(0, sp));
    const std::string_view target = sp == std::string_view::npos ? std::string_view() : line.substr(sp + 1);
    const size_t q = target.find('?');
    r.path = std::string(target.substr(0, q));
    if (q != std::string_view::npos) r.query = std::string(target.substr(q + 1));
  }
  const uint8_t flags = data[1];
  switch (flags & 3) {
    case 0: break;  // no key: 401 on every route but health
    case 1: r.headers.emplace_back("x-api-key", "wrong"); break;
    default: r.headers.emplace_back("authorization", "Bearer fuzz-key");
  }
  r.headers.emplace_back("content-type", "application/json");
  r.body = std::string(rest);

  srv::HttpResponse res = server().handle(r);
  if (res.status < 200 || res.status > 599) fail("status out of range", r, res);
  if (res.status == 500) fail("an unclassified error", r, res);
  if (res.stream) {
    DiscardSink sink((flags & 4) ? 2 : SIZE_MAX);
    res.stream(sink);
  } else if (res.status >= 400 && r.method != "HEAD") {
    const auto body = nlohmann::json::parse(res.body, nullptr, false);
    if (body.is_discarded() || !body.contains("error") || !body["error"].contains("code") || !body["error"]["code"].is_string() ||
        !body["error"].contains("message") || !body["error"]["message"].is_string())
      fail("an error that is not {\"error\":{\"code\",\"message\"}}", r, res);
  }
  return 0;
}
