// The generation parts on their own (the sampler's RNG against Python's, processors on crafted logits, the
// streamer on byte-level text) and the bad inputs of issue 14, each a clear error with the pipeline usable.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/files.hpp"
#include "generation/generation_config.hpp"
#include "generation/logits_processors.hpp"
#include "generation/sampler.hpp"
#include "generation/text_streamer.hpp"
#include "test_support.hpp"
#include "transformers/memory.hpp"
#include "transformers/memory_report.hpp"
#include "transformers/pipeline.hpp"

using namespace transformers;
namespace gen = transformers::generation;

namespace {
constexpr float kInf = std::numeric_limits<float>::infinity();

// Expected values printed by Debian's Python 3.11: random.seed(s); random.random().
TEST(PyRandom, EqualsPythonsRandom) {
  gen::PyRandom r(42);
  EXPECT_DOUBLE_EQ(r.random(), 0.6394267984578837);
  EXPECT_DOUBLE_EQ(r.random(), 0.025010755222666936);
  EXPECT_DOUBLE_EQ(r.random(), 0.27502931836911926);
  EXPECT_DOUBLE_EQ(gen::PyRandom(0).random(), 0.8444218515250481);
  EXPECT_DOUBLE_EQ(gen::PyRandom((1ull << 40) + 5).random(), 0.5043802970418443);  // a seed of two 32-bit words
}

TEST(Sampler, GreedyTiesGoToTheLowestIdAndAllMinusInfToZero) {
  const std::vector<float> tie = {1, 3, 3, 2};
  EXPECT_EQ(gen::argmax(tie), 1);
  const std::vector<float> none(4, -kInf);
  EXPECT_EQ(gen::argmax(none), 0);
}

TEST(Sampler, TopKKeepsTheBestWithTiesInIdOrder) {
  const std::vector<float> logits = {0, 2, 5, 2, 1};
  const gen::TopK t = gen::top_k_softmax(logits, 3);
  EXPECT_EQ(t.ids, (std::vector<int64_t>{2, 1, 3}));
  EXPECT_NEAR(t.probs[0] + t.probs[1] + t.probs[2], 1.0, 1e-6);
  EXPECT_FLOAT_EQ(t.probs[1], t.probs[2]);
  EXPECT_EQ(gen::top_k_softmax(logits, 0).ids.size(), 5u);  // 0: the whole vocabulary
}

TEST(LogitsProcessors, EachRuleOnCraftedLogits) {
  gen::GenerationConfig c;
  c.repetition_penalty = 2.0;
  c.no_repeat_ngram_size = 2;
  c.bad_words_ids = std::vector<std::vector<int64_t>>{{4, 5}, {6}};
  c.eos_token_id = std::vector<int64_t>{7};
  c.min_new_tokens = 4;
  c.suppress_tokens = std::vector<int64_t>{8};
  const gen::LogitsProcessors p(c, /*input_length=*/2, /*vocab=*/10);
  std::vector<float> logits = {1, -1, 3, 3, 3, 3, 3, 3, 3, 3};
  const std::vector<int64_t> ids = {0, 1, 2, 0, 4};  // a repeated bigram (0 -> 1), ends with 4
  p.apply(ids, logits);
  EXPECT_FLOAT_EQ(logits[0], 0.5f);   // seen, positive: divided
  EXPECT_FLOAT_EQ(logits[1], -2.0f);  // seen, negative: multiplied
  EXPECT_EQ(logits[5], -kInf);        // bad word [4, 5] after a 4
  EXPECT_EQ(logits[6], -kInf);        // bad word [6]
  EXPECT_EQ(logits[7], -kInf);        // eos before min_new_tokens (3 new tokens so far, 4 asked)
  EXPECT_EQ(logits[8], -kInf);        // suppressed
  EXPECT_FLOAT_EQ(logits[3], 3.0f);   // untouched
  std::vector<float> again = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
  p.apply(std::vector<int64_t>{0, 1, 0}, again);  // ends with 0, and 0 -> 1 was seen: 1 banned
  EXPECT_EQ(again[1], -kInf);
  EXPECT_THROW(gen::LogitsProcessors(gen::GenerationConfig{.suppress_tokens = std::vector<int64_t>{10}}, 1, 10),
               InvalidInputError);
}

// fuzz_generation_config's first find: a token id beyond int64 written as a float was cast (undefined
// behaviour). Now a ModelLoadError naming the file and field.
TEST(GenerationConfig, OutOfRangeNumbersAreRefusedNamingTheField) {
  for (const char* text : {R"({"bos_token_id": 2040000000000000000000000007})", R"({"max_length": 1e300})",
                           R"({"pad_token_id": 18446744073709551615})", R"({"eos_token_id": [1, 2.5]})"}) {
    const std::string msg = fixtures::message_of<ModelLoadError>(
        [&] { gen::model_generation_config_from_text("{}", text, "config.json", "generation_config.json"); });
    EXPECT_NE(msg.find("generation_config.json: field '"), std::string::npos) << text << ": " << msg;
  }
  const auto g = gen::model_generation_config_from_text(R"({"eos_token_id": 2, "max_length": 30.0})", R"({"bad_words_ids": [[5]]})");
  EXPECT_EQ(g.eos_token_id, std::vector<int64_t>{2});
  EXPECT_EQ(g.max_length, 30);
  ASSERT_TRUE(g.bad_words_ids);
  EXPECT_EQ((*g.bad_words_ids)[0], std::vector<int64_t>{5});
}

TEST(TextStreamer, NeverSplitsAByteLevelCharacter) {
  const auto folder = fixtures::model("tiny-gpt2");
  const Tokenizer tok = Tokenizer::from_files(folder / "tokenizer.json", folder / "tokenizer_config.json");
  const std::string text = "caf\xc3\xa9 na\xc3\xafve \xe2\x82\xac 5 \xf0\x9f\x98\x80 ok\n and more words";
  const Encoding e = tok.encode(text, {.add_special_tokens = false});
  gen::TextStreamer s(tok);
  std::string streamed;
  for (int64_t id : e.ids) {
    const std::string piece = s.put(id);
    EXPECT_EQ(piece.find("\xef\xbf\xbd"), std::string::npos) << "a replacement character was streamed";
    streamed += piece;
  }
  streamed += s.end();
  EXPECT_EQ(streamed, text);
}

Pipeline& gpt2() {
  static Pipeline p = pipeline("text-generation", fixtures::model("tiny-gpt2"));
  return p;
}

TextGenerationOptions max_new(int n) {
  TextGenerationOptions o;
  o.generation.max_new_tokens = n;
  return o;
}

TEST(GenerationErrors, BeyondThePositionTableIsAClearErrorBeforeRunning) {
  const std::string msg = fixtures::message_of<Error>([&] { gpt2()("Hello", max_new(200)); });
  EXPECT_NE(msg.find("128 positions"), std::string::npos) << msg;
  EXPECT_NO_THROW(gpt2()("Hello", max_new(3)));  // still usable
}

TEST(GenerationErrors, AnEmptyPromptWithoutBosIsRefused) {
  const std::string msg = fixtures::message_of<Error>([&] { gpt2()("", max_new(3)); });
  EXPECT_NE(msg.find("no tokens"), std::string::npos) << msg;
}

TEST(GenerationErrors, AStreamCallbackThatThrowsFailsThatCallOnly) {
  EXPECT_THROW(gpt2().stream(PipelineInputs{{"Hello there, friend"}, {}, {}}, false, max_new(10),
                             [](const StreamChunk&) -> bool { throw std::runtime_error("callback failed"); }),
               std::runtime_error);
  const std::string a = gpt2()("Hello there, friend", max_new(10)).to_json();
  EXPECT_EQ(a, gpt2()("Hello there, friend", max_new(10)).to_json());
}

TEST(Generation, StreamingGivesTheGeneratedTextAndCanStop) {
  std::string streamed;
  int ends = 0;
  TextGenerationOptions o = max_new(12);
  o.return_full_text = false;
  const Output out = gpt2().stream(PipelineInputs{{"Once upon a time"}, {}, {}}, false, o, [&](const StreamChunk& c) {
    streamed += c.text;
    ends += c.end;
    return true;
  });
  EXPECT_EQ(ends, 1);
  EXPECT_EQ(streamed, out.get<TextGenerationResult>().inputs[0][0].generated_text);
  int calls = 0;
  gpt2().stream(PipelineInputs{{"Once upon a time"}, {}, {}}, false, max_new(50), [&](const StreamChunk& c) {
    if (!c.end) ++calls;
    return false;  // stop at the first piece
  });
  EXPECT_LE(calls, 1);
}

TEST(Generation, StopStringsCutTheText) {
  TextGenerationOptions o = max_new(20);
  o.return_full_text = false;
  const std::string full = gpt2()("Once upon a time, there was a little", o).get<TextGenerationResult>().inputs[0][0].generated_text;
  ASSERT_GT(full.size(), 12u);
  const std::string stop = full.substr(6, 3);
  o.generation.stop_strings = std::vector<std::string>{stop};
  const std::string cut = gpt2()("Once upon a time, there was a little", o).get<TextGenerationResult>().inputs[0][0].generated_text;
  EXPECT_EQ(cut, full.substr(0, full.find(stop)));
}

TEST(GenerationErrors, FolderWithoutDecoderOrPastInputs) {
  fixtures::ScratchDir dir("no-decoder");
  const auto src = fixtures::model("tiny-marian");
  std::filesystem::copy(src, dir.path / "m", std::filesystem::copy_options::recursive);
  std::filesystem::remove(dir.path / "m" / "onnx" / "decoder_model_merged.onnx");
  std::string msg = fixtures::message_of<Error>([&] { pipeline("translation", dir.path / "m"); });
  EXPECT_NE(msg.find("decoder_model_merged"), std::string::npos) << msg;
  // A classifier graph has no past inputs: not a generation model.
  msg = fixtures::message_of<Error>([&] { pipeline("text-generation", fixtures::model("tiny-bert-sentiment")); });
  EXPECT_NE(msg.find("past_key_values"), std::string::npos) << msg;
}

TEST(GenerationErrors, UnknownTargetLanguage) {
  Pipeline p = pipeline("translation", fixtures::model("tiny-marian"));
  TranslationOptions o;
  o.tgt_lang = "xx_Yyyy";
  const std::string msg = fixtures::message_of<Error>([&] { p("hello", o); });
  EXPECT_NE(msg.find("no language codes"), std::string::npos) << msg;
}

TEST(GenerationMemory, TheCacheIsChargedToThePipelineAndRefusedByTheBudget) {
  Pipeline p = pipeline("text-generation", fixtures::model("tiny-llama"));
  const OwnerMemory before = owner_memory(p.memory_owner());
  reset_allocator_peak();
  p("Once upon a time", max_new(100));
  const OwnerMemory after = owner_memory(p.memory_owner());
  // tiny-llama: 2 layers x key+value x 2 heads x 16 floats = 512 bytes a position, two buffers each.
  EXPECT_GE(after.peak_in_use - before.in_use, 2u * 512u * 100u);
  // memory_report() shows it: nothing held between calls, the peak, 512 bytes a position.
  bool found = false;
  for (const auto& row : memory_report().pipelines) {
    if (row.owner != p.memory_owner()) continue;
    found = true;
    EXPECT_EQ(row.kv_cache_bytes, 0u);
    EXPECT_GE(row.kv_cache_peak_bytes, 2u * 512u * 100u);
    EXPECT_EQ(row.kv_cache_bytes_per_token, 512u);
  }
  EXPECT_TRUE(found);
  AllocatorOptions tight = allocator_options();
  const AllocatorOptions saved = tight;
  tight.limit_bytes = allocator_stats().in_use + 64 * 1024;
  configure_allocator(tight);
  EXPECT_THROW(p("Once upon a time", max_new(120)), BudgetExceededError);
  configure_allocator(saved);
  EXPECT_NO_THROW(p("Once upon a time", max_new(5)));
  EXPECT_EQ(owner_memory(p.memory_owner()).in_use, after.in_use) << "the refused call freed what it held";
}

}  // namespace

namespace {
TEST(GenerationErrors, ChatsThatCannotBeRendered) {
  // No chat template in the folder.
  std::string msg = fixtures::message_of<InvalidInputError>([&] { gpt2()(Chat{{"user", "hi"}}, max_new(3)); });
  EXPECT_NE(msg.find("no chat_template"), std::string::npos) << msg;
  Pipeline llama = pipeline("text-generation", fixtures::model("tiny-llama"));
  msg = fixtures::message_of<InvalidInputError>([&] { llama(Chat{}, max_new(3)); });
  EXPECT_NE(msg.find("chat 0 has no messages"), std::string::npos) << msg;
  // A template that raises: a copy of the folder whose template refuses a role.
  fixtures::ScratchDir dir("raising-template");
  std::filesystem::copy(fixtures::model("tiny-llama"), dir.path / "m", std::filesystem::copy_options::recursive);
  nlohmann::json config = nlohmann::json::parse(core::read_text_file(dir.path / "m" / "tokenizer_config.json"));
  config["chat_template"] =
      "{% for m in messages %}{% if m.role == 'tool' %}{{ raise_exception('tool messages are not supported') }}"
      "{% endif %}{{ m.content }}{% endfor %}";
  std::ofstream(dir.path / "m" / "tokenizer_config.json") << config.dump();
  Pipeline raising = pipeline("text-generation", dir.path / "m");
  msg = fixtures::message_of<InvalidInputError>([&] { raising(Chat{{"user", "a"}, {"tool", "b"}}, max_new(3)); });
  EXPECT_NE(msg.find("tool messages are not supported"), std::string::npos) << msg;
  EXPECT_NO_THROW(raising(Chat{{"user", "a"}}, max_new(3)));  // still usable
}
}  // namespace
