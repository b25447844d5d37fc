// The official openai npm client (tools/openai_client, installed by scripts/setup.sh) against the OpenAI
// routes: what it decodes equals the library's own answers.
#include <filesystem>

#include "server_fixture.hpp"

namespace {

using namespace server_test;
using nlohmann::json;

TEST(ServerOpenAiClient, TheOfficialNpmClientGetsTheLibrarysAnswers) {
  const std::filesystem::path tool = TRANSFORMERS_OPENAI_CLIENT_DIR;
  if (!std::filesystem::exists(tool / "node_modules" / "openai" / "package.json")) {
    GTEST_SKIP() << "the openai npm client is not installed (" << (tool / "node_modules").string()
                 << "): scripts/setup.sh installs it";
  }
  if (run_process("node --version").first != 0) GTEST_SKIP() << "node is not on PATH";
  srv::ServeOptions o = default_options();
  o.api_key = "openai-key";
  RunningServer s(o);
  const auto [rc, out] = run_process("node " + (tool / "check_routes.mjs").string() + " http://127.0.0.1:" +
                                     std::to_string(s.port()) + "/v1 openai-key");
  ASSERT_EQ(rc, 0) << out;
  const json got = last_json_line(out);

  EXPECT_EQ(got["models"].size(), default_options().models.size());
  const auto want = reference_embeddings(kTexts);
  ASSERT_EQ(got["embeddings"].size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    ASSERT_EQ(got["embeddings"][i].size(), want[i].size());
    for (size_t j = 0; j < want[i].size(); ++j) EXPECT_EQ(got["embeddings"][i][j].get<float>(), want[i][j]);
  }
  auto gpt = transformers::pipeline("text-generation", fixtures::model("tiny-gpt2"));
  transformers::TextGenerationOptions go;
  go.generation.max_new_tokens = 8;
  go.return_full_text = false;
  const std::string text = gpt("hello there", go).get<transformers::TextGenerationResult>().inputs[0][0].generated_text;
  EXPECT_EQ(got["completion"]["text"], text);
  EXPECT_EQ(got["completion"]["finish_reason"], "length");
  EXPECT_EQ(got["completion"]["usage"]["completion_tokens"], 8);
  EXPECT_EQ(got["completion_streamed"], text);
  auto llama = transformers::pipeline("text-generation", fixtures::model("tiny-llama"));
  transformers::TextGenerationOptions co;
  co.generation.max_new_tokens = 6;
  const std::string reply =
      llama(transformers::Chat{{"system", "be brief"}, {"user", "hi"}}, co).get<transformers::TextGenerationResult>().inputs[0][0].generated_text;
  EXPECT_EQ(got["chat"], reply);
  EXPECT_EQ(got["chat_streamed"], reply);
  EXPECT_EQ(got["error"]["status"], 404);
  EXPECT_NE(got["error"]["message"].get<std::string>().find("is not served"), std::string::npos) << got["error"];
  EXPECT_EQ(got["wrong_key"], 401);
}

}  // namespace
