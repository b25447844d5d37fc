#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <fstream>
#include <cmath>
#include <thread>

#include "broken_copy.hpp"
#include "test_support.hpp"
#include "transformers/error.hpp"
#include "transformers/pipeline.hpp"
#include "transformers/tokenizer.hpp"

using namespace transformers;
using fixtures::BrokenCopy;
using fixtures::message_of;

namespace {
using transformers::fixtures::kSentimentModel;
using transformers::fixtures::kEmbedderModel;
std::filesystem::path testing_model_multilabel() { return fixtures::model("tiny-bert-multilabel"); }
}  // namespace

TEST(Pipeline, UnknownTaskListsTheKnownOnes) {
  const auto msg = message_of<InvalidInputError>([] { pipeline("image-classification", kSentimentModel); });
  EXPECT_NE(msg.find("unknown task 'image-classification'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("text-classification"), std::string::npos) << msg;
  EXPECT_NE(msg.find("feature-extraction"), std::string::npos) << msg;
}

TEST(Pipeline, AliasesResolve) {
  EXPECT_EQ(canonical_task("sentiment-analysis"), "text-classification");
  EXPECT_EQ(canonical_task("embeddings"), "feature-extraction");
  Pipeline p = pipeline("sentiment-analysis", kSentimentModel);
  EXPECT_EQ(p.task(), "text-classification");
  EXPECT_EQ(p.dtype(), "fp32");
  EXPECT_EQ(p.onnx_file().filename(), "model.onnx");
}

TEST(Pipeline, MissingDtypeFileNamesPath) {
  PipelineOptions o;
  o.dtype = "q4";
  const auto msg = message_of<ModelLoadError>([&] { pipeline("text-classification", kSentimentModel, o); });
  EXPECT_NE(msg.find("model_q4.onnx"), std::string::npos) << msg;
}

TEST(Pipeline, UnknownDtypeIsRefused) {
  PipelineOptions o;
  o.dtype = "fp64";
  EXPECT_THROW(pipeline("text-classification", kSentimentModel, o), InvalidInputError);
}

TEST(Pipeline, DisposeIsIdempotentAndLaterCallsFailClearly) {
  Pipeline p = pipeline("text-classification", kSentimentModel);
  EXPECT_FALSE(p.disposed());
  p("hello");
  p.dispose();
  p.dispose();
  EXPECT_TRUE(p.disposed());
  const auto msg = message_of<DisposedError>([&] { p("hello"); });
  EXPECT_NE(msg.find("disposed"), std::string::npos) << msg;
  EXPECT_NE(msg.find("tiny-bert-sentiment"), std::string::npos) << msg;
}

TEST(Pipeline, InvalidUtf8IsAnInputErrorAndThePipelineStaysUsable) {
  Pipeline p = pipeline("text-classification", kSentimentModel);
  EXPECT_THROW(p(std::string("bad \xff\xfe bytes")), InvalidInputError);
  EXPECT_THROW(p(std::vector<std::string>{"fine", "\xc3"}), InvalidInputError);
  EXPECT_EQ(p("still works").labels().size(), 1u);
}

TEST(Pipeline, EmptyBatchIsAnInputError) {
  Pipeline p = pipeline("feature-extraction", kEmbedderModel);
  EXPECT_THROW(p(std::vector<std::string>{}), InvalidInputError);
}

TEST(Pipeline, NegativeTopKIsRefused) {
  Pipeline p = pipeline("text-classification", kSentimentModel);
  TextClassificationOptions o;
  o.top_k = -1;
  EXPECT_THROW(p("x", o), InvalidInputError);
}

TEST(TextClassification, FunctionToApplyOverridesTheDefault) {
  Pipeline p = pipeline("text-classification", kSentimentModel);
  TextClassificationOptions raw;
  raw.top_k = std::nullopt;
  raw.function_to_apply = FunctionToApply::none;
  TextClassificationOptions sig = raw;
  sig.function_to_apply = FunctionToApply::sigmoid;
  TextClassificationOptions soft = raw;
  soft.function_to_apply = FunctionToApply::softmax;
  const auto logits = p("what a film", raw).labels()[0];
  const auto sigmoid = p("what a film", sig).labels()[0];
  const auto softmax = p("what a film", soft).labels()[0];
  ASSERT_EQ(logits.size(), 2u);
  double sum = 0;
  for (const auto& l : softmax) sum += l.score;
  EXPECT_NEAR(sum, 1.0, 1e-6);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(logits[i].label, sigmoid[i].label);
    EXPECT_NEAR(sigmoid[i].score, 1.0 / (1.0 + std::exp(-logits[i].score)), 1e-6);
  }
  // Softmax over two logits is the sigmoid of their difference.
  EXPECT_NEAR(softmax[0].score, 1.0 / (1.0 + std::exp(-(logits[0].score - logits[1].score))), 1e-6);
}

TEST(TextClassification, BatchOfMixedLengthsEqualsSingleCalls) {
  Pipeline p = pipeline("text-classification", kSentimentModel);
  const std::vector<std::string> texts = {"short", "a much longer sentence with many more words in it than the first",
                                          "", "mid length text here"};
  TextClassificationOptions all;
  all.top_k = std::nullopt;
  const auto batched = p(texts, all).labels();
  ASSERT_EQ(batched.size(), texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    const auto single = p(texts[i], all).labels()[0];
    ASSERT_EQ(single.size(), batched[i].size());
    for (size_t k = 0; k < single.size(); ++k) {
      EXPECT_EQ(single[k].label, batched[i][k].label);
      EXPECT_NEAR(single[k].score, batched[i][k].score, 1e-5) << texts[i];
    }
  }
}

TEST(FeatureExtraction, PoolingShapesAndNormalisation) {
  Pipeline p = pipeline("embeddings", kEmbedderModel);
  CallOptions none;
  const Tensor tokens = p(std::vector<std::string>{"one two three", "four"}, none).tensor();
  ASSERT_EQ(tokens.rank(), 3u);
  EXPECT_EQ(tokens.dims[0], 2);
  FeatureExtractionOptions mean;
  mean.pooling = Pooling::mean;
  mean.normalize = true;
  const Tensor pooled = p(std::vector<std::string>{"one two three", "four"}, mean).tensor();
  ASSERT_EQ(pooled.dims, (std::vector<int64_t>{2, tokens.dims[2]}));
  for (size_t b = 0; b < 2; ++b) {
    double norm = 0;
    for (float v : pooled.row(b)) norm += double(v) * v;
    EXPECT_NEAR(std::sqrt(norm), 1.0, 1e-5);
  }
  FeatureExtractionOptions cls;
  cls.pooling = Pooling::cls;
  const Tensor first = p("one two three", cls).tensor();
  ASSERT_EQ(first.dims, (std::vector<int64_t>{1, tokens.dims[2]}));
  for (int64_t k = 0; k < tokens.dims[2]; ++k) EXPECT_FLOAT_EQ(first.data[k], tokens.data[k]);
}

TEST(FeatureExtraction, ClassifierLogitsOfTheWrongRankAreRefusedClearly) {
  // Transformers.js falls back to 'logits' when there is no last_hidden_state; a [batch, labels] tensor
  // cannot be pooled, and the error says so instead of returning garbage.
  Pipeline p = pipeline("feature-extraction", kSentimentModel);
  const auto msg = message_of<Error>([&] { p("hello"); });
  EXPECT_NE(msg.find("'logits' has shape [1, 2]"), std::string::npos) << msg;
}

TEST(Pipeline, DisposeWaitsForCallsInFlightOnOtherThreads) {
  Pipeline p = pipeline("text-classification", kSentimentModel);
  std::atomic<int> ok{0}, disposed{0}, other{0};
  std::thread worker([&] {
    for (int i = 0; i < 200; ++i) {
      try {
        p(std::vector<std::string>(8, "a sentence that takes a little while to run"));
        ++ok;
      } catch (const DisposedError&) {
        ++disposed;
      } catch (...) {
        ++other;
      }
    }
  });
  // Dispose once a call has finished, not after a fixed sleep: on a fast CPU 200 calls can end within it.
  while (ok.load() == 0 && other.load() == 0 && disposed.load() == 0) std::this_thread::yield();
  p.dispose();
  worker.join();
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(ok.load() + disposed.load(), 200);
  EXPECT_GT(disposed.load(), 0);
}

TEST(Pipeline, MalformedConfigNamesFileAndField) {
  BrokenCopy copy(kSentimentModel);
  copy.write("config.json", R"({"model_type": "bert", "id2label": {"0": 7}})");
  const auto msg = message_of<ModelLoadError>([&] { pipeline("text-classification", copy.root); });
  EXPECT_NE(msg.find((copy.root / "config.json").string()), std::string::npos) << msg;
  EXPECT_NE(msg.find("id2label"), std::string::npos) << msg;
}

TEST(Pipeline, TruncatedTokenizerJsonNamesTheFile) {
  BrokenCopy copy(kSentimentModel);
  copy.write("tokenizer.json", R"({"version": "1.0", "model": {"type": "WordPiece", "vocab": {"a)");
  const auto msg = message_of<ModelLoadError>([&] { pipeline("text-classification", copy.root); });
  EXPECT_NE(msg.find((copy.root / "tokenizer.json").string()), std::string::npos) << msg;
}

TEST(Pipeline, MissingTokenizerJsonListsTheFolder) {
  BrokenCopy copy(kSentimentModel);
  std::filesystem::remove(copy.root / "tokenizer.json");
  const auto msg = message_of<ModelLoadError>([&] { pipeline("text-classification", copy.root); });
  EXPECT_NE(msg.find("tokenizer.json not found"), std::string::npos) << msg;
  EXPECT_NE(msg.find("config.json"), std::string::npos) << msg;
}

TEST(Pipeline, CorruptOnnxFileNamesIt) {
  BrokenCopy copy(kSentimentModel);
  copy.write("onnx/model.onnx", "definitely not protobuf");
  const auto msg = message_of<ModelLoadError>([&] { pipeline("text-classification", copy.root); });
  EXPECT_NE(msg.find((copy.root / "onnx" / "model.onnx").string()), std::string::npos) << msg;
}

TEST(TextClassification, TenThousandWordsAreTruncatedToModelMaxLength) {
  // The multilabel fixture has model_max_length 128 and 512 positions: an untruncated input would fail in
  // the graph; truncated, it equals the first 128 tokens (127 words + [CLS], no [SEP], as Transformers.js).
  Pipeline p = pipeline("text-classification", testing_model_multilabel());
  std::string long_text, first_words;
  for (int i = 0; i < 10000; ++i) long_text += i ? " word" : "word";
  for (int i = 0; i < 127; ++i) first_words += i ? " word" : "word";
  TextClassificationOptions all;
  all.top_k = std::nullopt;
  const auto a = p(long_text, all).labels()[0];
  const auto b = p(first_words + " word", all).labels()[0];
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].label, b[i].label);
    EXPECT_NEAR(a[i].score, b[i].score, 1e-6);
  }
}

namespace {
// The float32 table of a .npy file (format 1.0, '<f4', C order) written by make_sentence_embedder.py.
std::vector<float> read_npy_f32(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(bytes.substr(1, 5), "NUMPY");
  const size_t header = static_cast<unsigned char>(bytes[8]) | static_cast<unsigned char>(bytes[9]) << 8;
  EXPECT_NE(bytes.find("'<f4'"), std::string::npos);
  std::vector<float> v((bytes.size() - 10 - header) / 4);
  std::memcpy(v.data(), bytes.data() + 10 + header, v.size() * 4);
  return v;
}
}  // namespace

TEST(FeatureExtraction, AlreadyPooledSentenceEmbeddingOutput) {
  // The graph returns the masked mean of an embedding table; recompute it from the table and our ids.
  const auto model = fixtures::model("tiny-sentence-embedder");
  const std::vector<float> table = read_npy_f32(model / "onnx" / "embeddings.npy");
  const size_t hidden = 8;
  const auto tok = Tokenizer::from_files(model / "tokenizer.json", model / "tokenizer_config.json");
  Pipeline p = pipeline("feature-extraction", model);
  const std::vector<std::string> texts = {"a short one", "and a somewhat longer sentence to pad the other"};
  FeatureExtractionOptions mean;
  mean.pooling = Pooling::mean;  // does not apply to an already pooled output
  const Tensor got = p(texts, mean).tensor();
  ASSERT_EQ(got.dims, (std::vector<int64_t>{2, static_cast<int64_t>(hidden)}));
  for (size_t b = 0; b < texts.size(); ++b) {
    const auto ids = tok.encode(texts[b]).ids;
    for (size_t k = 0; k < hidden; ++k) {
      double sum = 0;
      for (int64_t id : ids) sum += table[static_cast<size_t>(id) * hidden + k];
      EXPECT_NEAR(got.data[b * hidden + k], sum / ids.size(), 1e-5) << texts[b] << " [" << k << "]";
    }
  }
  FeatureExtractionOptions normalized;
  normalized.normalize = true;
  const Tensor unit = p(texts, normalized).tensor();
  double norm = 0;
  for (size_t k = 0; k < hidden; ++k) norm += double(unit.data[k]) * unit.data[k];
  EXPECT_NEAR(std::sqrt(norm), 1.0, 1e-5);
}
