// KServe v2 over gRPC, called by a Python client on Debian's python3-grpcio (grpc_client.py) built from the
// server's own .proto: every RPC, raw and typed contents, parameters, errors as statuses, the API key.
#include "server_fixture.hpp"

namespace {

using namespace server_test;
using nlohmann::json;

json run_client(uint16_t port, const std::string& key) {
  const auto [rc, out] = run_process("/usr/bin/python3 " TRANSFORMERS_SERVER_TEST_DIR "/grpc_client.py " TRANSFORMERS_SERVER_PROTO_DIR " " +
                                     std::to_string(port) + " " + key);
  EXPECT_EQ(rc, 0) << out;
  return last_json_line(out);
}

TEST(ServerGrpc, APythonClientCallsEveryRpc) {
  srv::ServeOptions o = default_options();
  o.models = {spec("emb", "feature-extraction", "tiny-bert-embedder"), spec("sent", "text-classification", "tiny-bert-sentiment")};
  o.grpc_port = 0;
  o.api_key = "grpc-key";
  RunningServer s(o);
  ASSERT_GT(s.server().grpc_port(), 0);
  const json got = run_client(s.server().grpc_port(), "grpc-key");
  EXPECT_EQ(got["live"], true);
  EXPECT_EQ(got["ready"], true);
  EXPECT_EQ(got["model_ready"], true);
  EXPECT_EQ(got["server_metadata"]["name"], "transformers-cpp");
  EXPECT_EQ(got["server_metadata_without_key"], "refused");
  EXPECT_EQ(got["model_metadata"]["inputs"], json({"text", "text_pair"}));
  EXPECT_EQ(got["model_metadata"]["outputs"], json({"labels", "scores", "json"}));

  const auto want = reference_embeddings(kTexts);
  EXPECT_EQ(got["embeddings"]["id"], "g1");
  ASSERT_EQ(got["embeddings"]["shape"], json({kTexts.size(), want[0].size()}));
  for (size_t i = 0; i < want.size(); ++i) {
    for (size_t j = 0; j < want[i].size(); ++j) {
      EXPECT_EQ(got["embeddings"]["data"][i * want[i].size() + j].get<float>(), want[i][j]);
      EXPECT_EQ(got["embeddings_raw"][i * want[i].size() + j].get<float>(), want[i][j]);
    }
  }
  auto p = transformers::pipeline("text-classification", fixtures::model("tiny-bert-sentiment"));
  transformers::TextClassificationOptions two;
  two.top_k = 2;
  ASSERT_EQ(got["classification"]["labels"]["shape"], json({kTexts.size(), 2})) << got.dump();
  for (size_t i = 0; i < kTexts.size(); ++i) {
    const auto ls = p(kTexts[i], two).labels()[0];
    for (size_t k = 0; k < 2; ++k) {
      EXPECT_EQ(got["classification"]["labels"]["data"][i * 2 + k], ls[k].label);
      EXPECT_EQ(got["classification"]["scores"]["data"][i * 2 + k].get<float>(), ls[k].score);
    }
  }
  EXPECT_EQ(got["shape_mismatch"]["code"], "INVALID_ARGUMENT");
  EXPECT_NE(got["shape_mismatch"]["details"].get<std::string>().find("shape [2] holds 2 elements, data has 1"), std::string::npos);
  EXPECT_EQ(got["unknown_model"]["code"], "NOT_FOUND");
  EXPECT_EQ(got["unload"], "ok");
  EXPECT_EQ(got["index_after_unload"]["emb"], "UNAVAILABLE");
  EXPECT_EQ(got["load"], "ok");
  EXPECT_EQ(got["ready_index_after_load"], json({"emb", "sent"}));
  // The gRPC calls are in the metrics beside the REST ones.
  const auto metrics = test_http::request(s.port(), "GET", "/metrics", "", {{"Authorization", "Bearer grpc-key"}}).body;
  EXPECT_NE(metrics.find("route=\"grpc:ModelInfer\",model=\"emb\",code=\"200\"} 2"), std::string::npos) << metrics.substr(0, 2000);
}

}  // namespace
