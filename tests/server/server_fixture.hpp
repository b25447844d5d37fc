// A server on a free loopback port for one test, over the fixture models.
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <utility>

#include "http_client.hpp"
#include "server/inference_server.hpp"
#include "transformers/pipeline.hpp"
#include "test_support.hpp"

namespace server_test {

namespace srv = transformers::server;
namespace fixtures = transformers::fixtures;

inline srv::ModelSpec spec(const char* name, const char* task, const char* fixture) {
  return {name, task, fixtures::model(fixture)};
}

// The usual set: one model per protocol's task.
inline srv::ServeOptions default_options() {
  srv::ServeOptions o;
  o.port = 0;
  o.models = {spec("emb", "feature-extraction", "tiny-bert-embedder"), spec("sent", "text-classification", "tiny-bert-sentiment"),
              spec("nli", "zero-shot-classification", "tiny-bert-nli"), spec("qa", "question-answering", "tiny-bert-qa"),
              spec("ner", "token-classification", "tiny-bert-ner"), spec("gpt", "text-generation", "tiny-gpt2"),
              spec("llama", "text-generation", "tiny-llama")};
  return o;
}

const std::vector<std::string> kTexts = {"I love this film", "awful, simply awful", "the weather is fine today"};

// What the library gives each text alone: the server's embeddings (mean pooling, normalized) must equal it.
inline std::vector<std::vector<float>> reference_embeddings(const std::vector<std::string>& texts) {
  auto p = transformers::pipeline("feature-extraction", fixtures::model("tiny-bert-embedder"));
  std::vector<std::vector<float>> rows;
  for (const auto& t : texts) {
    const auto out = p(t, transformers::FeatureExtractionOptions{transformers::Pooling::mean, true});
    rows.push_back(out.tensor().data);
  }
  return rows;
}

// A command's exit status and everything it printed (stdout and stderr).
inline std::pair<int, std::string> run_process(const std::string& command) {
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  std::string out;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  return {pclose(p), out};
}

// The last line of a client's output that is a JSON object.
inline nlohmann::json last_json_line(const std::string& out) {
  const size_t at = out.rfind("\n{");
  return nlohmann::json::parse(at == std::string::npos ? out : out.substr(at + 1));
}

class RunningServer {
 public:
  explicit RunningServer(srv::ServeOptions o = default_options()) : server_(std::make_unique<srv::InferenceServer>(std::move(o))) {
    port_ = server_->start();
  }
  uint16_t port() const { return port_; }
  srv::InferenceServer& server() { return *server_; }
  void stop() { server_->stop(); }

 private:
  std::unique_ptr<srv::InferenceServer> server_;
  uint16_t port_ = 0;
};

}  // namespace server_test
