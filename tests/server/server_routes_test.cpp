// Every protocol's routes over a real socket, each answer checked against the library's own call on the
// same folder and input (whose outputs the pipeline tests check against Transformers.js' goldens).
#include <cstring>

#include "server_fixture.hpp"
#include "transformers/pipeline.hpp"

namespace {

using namespace server_test;
using nlohmann::json;
namespace tf = transformers;

std::vector<float> decode_base64_floats(const std::string& s) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
  };
  std::string bytes;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : s) {
    const int v = value(c);
    if (v < 0) break;
    acc = (acc << 6) | uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  std::vector<float> out(bytes.size() / 4);
  std::memcpy(out.data(), bytes.data(), out.size() * 4);
  return out;
}

void expect_rows(const json& got, const std::vector<std::vector<float>>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    ASSERT_EQ(got[i].size(), want[i].size());
    for (size_t j = 0; j < want[i].size(); ++j) EXPECT_EQ(got[i][j].get<float>(), want[i][j]) << i << "," << j;
  }
}

TEST(ServerRoutes, NativeRouteIsTheLibrarysJsonForEveryInputShape) {
  RunningServer s;
  struct Case {
    const char* task;
    const char* model;
    const char* fixture;
    json inputs;
    json options;
  };
  const std::vector<Case> cases = {
      {"text-classification", "sent", "tiny-bert-sentiment", kTexts, {{"top_k", 2}}},
      {"sentiment-analysis", "sent", "tiny-bert-sentiment", "one text", json::object()},
      {"feature-extraction", "emb", "tiny-bert-embedder", kTexts, {{"pooling", "mean"}, {"normalize", true}}},
      {"token-classification", "ner", "tiny-bert-ner", "Alice lives in Paris", {{"aggregation_strategy", "simple"}}},
      {"question-answering", "qa", "tiny-bert-qa", {{"question", "who is there?"}, {"context", "Bob is there."}}, json::object()},
      {"zero-shot-classification", "nli", "tiny-bert-nli", kTexts[0], {{"candidate_labels", {"cinema", "weather"}}}},
      {"text-generation", "gpt", "tiny-gpt2", "hello there", {{"max_new_tokens", 6}}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.task);
    const auto r = test_http::post(s.port(), std::string("/v1/pipeline/") + c.task, {{"model", c.model}, {"inputs", c.inputs}, {"options", c.options}});
    ASSERT_EQ(r.status, 200) << r.body;
    auto p = tf::pipeline(c.task, fixtures::model(c.fixture));
    EXPECT_EQ(r.body, p.call_json(c.inputs.dump(), c.options.dump()).to_json());
  }
  // The only model of a task answers when none is named.
  const auto r = test_http::post(s.port(), "/v1/pipeline/text-classification", {{"inputs", "fine"}});
  EXPECT_EQ(r.status, 200) << r.body;
}

TEST(ServerRoutes, OpenAiEmbeddingsAsFloatsAndBase64WithUsage) {
  RunningServer s;
  const auto want = reference_embeddings(kTexts);
  const auto r = test_http::post(s.port(), "/v1/embeddings", {{"model", "emb"}, {"input", kTexts}});
  ASSERT_EQ(r.status, 200) << r.body;
  const json j = r.json();
  EXPECT_EQ(j["object"], "list");
  EXPECT_EQ(j["model"], "emb");
  json rows = json::array();
  for (size_t i = 0; i < j["data"].size(); ++i) {
    EXPECT_EQ(j["data"][i]["index"], i);
    EXPECT_EQ(j["data"][i]["object"], "embedding");
    rows.push_back(j["data"][i]["embedding"]);
  }
  expect_rows(rows, want);
  auto p = tf::pipeline("feature-extraction", fixtures::model("tiny-bert-embedder"));
  size_t tokens = 0;
  for (size_t n : p.token_counts(kTexts)) tokens += n;
  EXPECT_EQ(j["usage"]["prompt_tokens"], tokens);
  EXPECT_EQ(j["usage"]["total_tokens"], tokens);

  const auto b = test_http::post(s.port(), "/v1/embeddings", {{"model", "emb"}, {"input", kTexts[1]}, {"encoding_format", "base64"}});
  ASSERT_EQ(b.status, 200) << b.body;
  EXPECT_EQ(decode_base64_floats(b.json()["data"][0]["embedding"]), want[1]);

  const auto ids = test_http::post(s.port(), "/v1/embeddings", {{"model", "emb"}, {"input", {1, 2, 3}}});
  EXPECT_EQ(ids.status, 400);
  EXPECT_NE(ids.body.find("token ids"), std::string::npos);
  const auto wrong_task = test_http::post(s.port(), "/v1/embeddings", {{"model", "sent"}, {"input", "x"}});
  EXPECT_EQ(wrong_task.status, 400);
  EXPECT_NE(wrong_task.body.find("does text-classification, not feature-extraction"), std::string::npos) << wrong_task.body;
}

TEST(ServerRoutes, TeiEmbedAndPredict) {
  RunningServer s;
  const auto e = test_http::post(s.port(), "/embed", {{"inputs", kTexts}});
  ASSERT_EQ(e.status, 200) << e.body;
  expect_rows(e.json(), reference_embeddings(kTexts));
  const auto single = test_http::post(s.port(), "/embed", {{"inputs", kTexts[0]}});
  expect_rows(single.json(), reference_embeddings({kTexts[0]}));

  auto p = tf::pipeline("text-classification", fixtures::model("tiny-bert-sentiment"));
  tf::TextClassificationOptions all;
  all.top_k = std::nullopt;
  const auto pr = test_http::post(s.port(), "/predict", {{"inputs", kTexts}});
  ASSERT_EQ(pr.status, 200) << pr.body;
  for (size_t i = 0; i < kTexts.size(); ++i) {
    const auto want = p(kTexts[i], all).labels().at(0);
    ASSERT_EQ(pr.json()[i].size(), want.size());
    for (size_t k = 0; k < want.size(); ++k) {
      EXPECT_EQ(pr.json()[i][k]["label"], want[k].label);
      EXPECT_EQ(pr.json()[i][k]["score"].get<float>(), want[k].score);
    }
  }
  // A single text answers one list; pairs [[a, b]] are sentence pairs.
  EXPECT_EQ(test_http::post(s.port(), "/predict", {{"inputs", "fine"}}).json()[0]["label"], p("fine", all).labels()[0][0].label);
  const auto pairs = test_http::post(s.port(), "/predict", {{"inputs", json::array({json::array({"a cat", "a dog"})})}});
  ASSERT_EQ(pairs.status, 200) << pairs.body;
  EXPECT_EQ(pairs.json()[0][0]["score"].get<float>(), p(tf::TextPair{"a cat", "a dog"}, all).labels()[0][0].score);
  const auto info = test_http::request(s.port(), "GET", "/info?model=sent");
  EXPECT_EQ(info.json()["model_type"]["classifier"]["id2label"].size(), 2u) << info.body;
}

TEST(ServerRoutes, KServeInferTensorsPerTask) {
  RunningServer s;
  auto text_tensor = [](const std::vector<std::string>& texts, const char* name = "text") {
    return json{{"name", name}, {"shape", {texts.size()}}, {"datatype", "BYTES"}, {"data", texts}};
  };
  const auto e = test_http::post(s.port(), "/v2/models/emb/infer", {{"id", "r1"}, {"inputs", {text_tensor(kTexts)}}});
  ASSERT_EQ(e.status, 200) << e.body;
  const json out = e.json();
  EXPECT_EQ(out["id"], "r1");
  EXPECT_EQ(out["model_name"], "emb");
  const json& t = out["outputs"][0];
  EXPECT_EQ(t["name"], "embeddings");
  EXPECT_EQ(t["datatype"], "FP32");
  const auto want = reference_embeddings(kTexts);
  ASSERT_EQ(t["shape"], json({kTexts.size(), want[0].size()}));
  for (size_t i = 0; i < want.size(); ++i)
    for (size_t j = 0; j < want[i].size(); ++j) EXPECT_EQ(t["data"][i * want[i].size() + j].get<float>(), want[i][j]);

  const auto c = test_http::post(s.port(), "/v2/models/sent/versions/1/infer",
                                 {{"inputs", {text_tensor(kTexts)}}, {"parameters", {{"top_k", 2}}}});
  ASSERT_EQ(c.status, 200) << c.body;
  auto p = tf::pipeline("text-classification", fixtures::model("tiny-bert-sentiment"));
  const json classified = c.json();
  for (const auto& o : classified["outputs"]) {
    ASSERT_EQ(o["shape"], json({kTexts.size(), 2}));
    for (size_t i = 0; i < kTexts.size(); ++i) {
      tf::TextClassificationOptions two;
      two.top_k = 2;
      const auto ls = p(kTexts[i], two).labels()[0];
      for (size_t k = 0; k < 2; ++k) {
        if (o["name"] == "labels") EXPECT_EQ(o["data"][i * 2 + k], ls[k].label);
        else EXPECT_EQ(o["data"][i * 2 + k].get<float>(), ls[k].score);
      }
    }
  }
  // The json output: each input's Transformers.js result.
  const auto n = test_http::post(s.port(), "/v2/models/ner/infer", {{"inputs", {text_tensor({"Alice lives in Paris"})}}});
  ASSERT_EQ(n.status, 200) << n.body;
  auto ner = tf::pipeline("token-classification", fixtures::model("tiny-bert-ner"));
  EXPECT_EQ(n.json()["outputs"][0]["data"][0], ner("Alice lives in Paris").to_json());

  // Shapes and names are checked.
  json bad = text_tensor(kTexts);
  bad["shape"] = {2};
  const auto mismatch = test_http::post(s.port(), "/v2/models/emb/infer", {{"inputs", {bad}}});
  EXPECT_EQ(mismatch.status, 400);
  EXPECT_NE(mismatch.body.find("shape [2] holds 2 elements, data has 3"), std::string::npos) << mismatch.body;
  const auto unknown = test_http::post(s.port(), "/v2/models/emb/infer", {{"inputs", {text_tensor(kTexts, "texts")}}});
  EXPECT_EQ(unknown.status, 400);
  EXPECT_NE(unknown.body.find("has no input 'texts'"), std::string::npos);
  const auto version = test_http::post(s.port(), "/v2/models/emb/versions/2/infer", {{"inputs", {text_tensor(kTexts)}}});
  EXPECT_EQ(version.status, 404);
  const auto meta = test_http::request(s.port(), "GET", "/v2/models/qa");
  EXPECT_EQ(meta.json()["inputs"][1]["name"], "context") << meta.body;
  EXPECT_EQ(test_http::request(s.port(), "GET", "/v2/health/ready").status, 200);
  const auto server = test_http::request(s.port(), "GET", "/v2");
  EXPECT_EQ(server.json()["name"], "transformers-cpp");
  EXPECT_EQ(server.json()["extensions"], json({"model_repository"}));
  EXPECT_EQ(test_http::request(s.port(), "GET", "/v2/models/emb/versions/1/ready").json()["ready"], true);
  EXPECT_EQ(test_http::request(s.port(), "GET", "/health").status, 200);
  const auto head = test_http::request(s.port(), "HEAD", "/v1/models");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.body, "");
}

TEST(ServerRoutes, CompletionsAndChatMatchThePipelineStreamedOrNot) {
  RunningServer s;
  auto gpt = tf::pipeline("text-generation", fixtures::model("tiny-gpt2"));
  tf::TextGenerationOptions o;
  o.generation.max_new_tokens = 8;
  o.return_full_text = false;
  const std::string want = gpt("hello there", o).get<tf::TextGenerationResult>().inputs[0][0].generated_text;

  const auto r = test_http::post(s.port(), "/v1/completions", {{"model", "gpt"}, {"prompt", "hello there"}, {"max_tokens", 8}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["choices"][0]["text"], want);
  EXPECT_EQ(r.json()["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(r.json()["usage"]["completion_tokens"], 8);
  EXPECT_EQ(r.json()["usage"]["prompt_tokens"], gpt.token_counts({"hello there"})[0]);

  const auto st = test_http::post(s.port(), "/v1/completions", {{"model", "gpt"}, {"prompt", "hello there"}, {"max_tokens", 8}, {"stream", true}});
  ASSERT_EQ(st.status, 200) << st.body;
  EXPECT_EQ(st.headers.at("content-type"), "text/event-stream");
  std::string joined, last;
  size_t at = 0;
  while ((at = st.body.find("data: ", at)) != std::string::npos) {
    const size_t end = st.body.find("\n\n", at);
    last = st.body.substr(at + 6, end - at - 6);
    if (last != "[DONE]") joined += json::parse(last)["choices"][0]["text"].get<std::string>();
    at = end;
  }
  EXPECT_EQ(last, "[DONE]");
  EXPECT_EQ(joined, want);

  // Chat through the tokenizer's chat template.
  auto llama = tf::pipeline("text-generation", fixtures::model("tiny-llama"));
  const tf::Chat chat = {{"system", "be brief"}, {"user", "hi"}};
  tf::TextGenerationOptions co;
  co.generation.max_new_tokens = 6;
  const std::string chat_want = llama(chat, co).get<tf::TextGenerationResult>().inputs[0][0].generated_text;
  const json messages = {{{"role", "system"}, {"content", "be brief"}}, {{"role", "user"}, {"content", {{{"type", "text"}, {"text", "hi"}}}}}};
  const auto c = test_http::post(s.port(), "/v1/chat/completions", {{"model", "llama"}, {"messages", messages}, {"max_tokens", 6}});
  ASSERT_EQ(c.status, 200) << c.body;
  EXPECT_EQ(c.json()["choices"][0]["message"]["content"], chat_want);
  EXPECT_EQ(c.json()["object"], "chat.completion");
  const auto cs = test_http::post(s.port(), "/v1/chat/completions", {{"model", "llama"}, {"messages", messages}, {"max_tokens", 6}, {"stream", true}});
  std::string chat_joined;
  at = 0;
  while ((at = cs.body.find("data: {", at)) != std::string::npos) {
    const size_t end = cs.body.find("\n\n", at);
    const json ev = json::parse(cs.body.substr(at + 6, end - at - 6));
    chat_joined += ev["choices"][0]["delta"].value("content", "");
    at = end;
  }
  EXPECT_EQ(chat_joined, chat_want);
  const auto unsupported = test_http::post(s.port(), "/v1/chat/completions", {{"model", "llama"}, {"messages", messages}, {"logprobs", true}});
  EXPECT_EQ(unsupported.status, 400);
}

}  // namespace
