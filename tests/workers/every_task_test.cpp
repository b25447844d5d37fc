// Every task through every way of calling it: directly, through a thread worker, a process worker and the
// dynamic batcher, with equal results; every option and result field of every task across the process
// boundary, by type (generated from each type's field list, so a new field is covered without a new line
// here); and the bad inputs of the new tasks, each a clear InvalidInputError.
#include <gtest/gtest.h>

#include <fstream>
#include <typeinfo>
#include <utility>
#include <nlohmann/json.hpp>

#include "core/files.hpp"

#include "pipelines/task_codec.hpp"
#include "test_support.hpp"
#include "transformers/transformers.hpp"
#include "workers/worker_protocol.hpp"

namespace tf = transformers;
namespace proto = transformers::workers::protocol;
using nlohmann::json;

namespace {

// ---- values in which every field differs from its default, from the field lists ----

// How many members an aggregate has (brace-initialisable from that many values of any type): a member
// left out of the type's `fields` list would not travel, and this count catches it.
struct AnyValue {
  template <class T>
  operator T&() const&& noexcept;  // never defined: only used in unevaluated braces (not constexpr, so not inline)
};
template <class T, size_t... I>
constexpr bool brace_initialisable_from(std::index_sequence<I...>) {
  return requires { T{(void(I), AnyValue{})...}; };
}
template <class T, size_t N = 0>
constexpr size_t member_count() {
  if constexpr (N < 32 && brace_initialisable_from<T>(std::make_index_sequence<N + 1>{})) return member_count<T, N + 1>();
  else return N;
}

template <class T>
void make_distinct(T& v, int salt);

template <class T>
T distinct(int salt) {
  T v{};
  make_distinct(v, salt);
  return v;
}

template <class T>
void make_distinct(T& v, int salt) {
  using namespace tf::codec;
  if constexpr (is_optional<T>::value) {
    if (v) v.reset();
    else v = distinct<typename T::value_type>(salt);
  } else if constexpr (std::is_same_v<T, bool>) {
    v = !v;
  } else if constexpr (std::is_same_v<T, tf::EarlyStopping>) {
    v = v == tf::EarlyStopping::never ? tf::EarlyStopping::yes : tf::EarlyStopping::never;
  } else if constexpr (std::is_enum_v<T>) {
    for (const auto& [value, name] : tf::EnumNames<T>::values)
      if (value != v) {
        v = value;
        break;
      }
  } else if constexpr (std::is_integral_v<T>) {
    v = static_cast<T>(v + 7 + salt);
  } else if constexpr (std::is_floating_point_v<T>) {
    v = static_cast<T>(0.25 + salt);
  } else if constexpr (std::is_same_v<T, std::string>) {
    v = "value " + std::to_string(salt) + " \xc3\xa9\xff";  // not all valid UTF-8: bytes must survive
  } else if constexpr (is_vector<T>::value) {
    v = {distinct<typename T::value_type>(salt + 1), distinct<typename T::value_type>(salt + 2)};
  } else if constexpr (std::is_same_v<T, tf::Tensor>) {
    v = tf::Tensor{{2, 1}, {1.5f, -0.0f}};
  } else if constexpr (std::is_same_v<T, tf::TokenIdList>) {
    v.ids = {salt + 3, salt + 4};
  } else {
    size_t listed = 0;
    T::fields(v, [&](const char*, auto& member) {
      ++listed;
      make_distinct(member, salt + 1);
    });
    // The generation tasks list their GenerationOptions member's fields flat (as Transformers.js takes them).
    size_t members = member_count<T>();
    if constexpr (requires { v.generation; }) members += member_count<tf::GenerationOptions>() - 1;
    EXPECT_EQ(listed, members) << typeid(T).name() << ": a member is missing from its fields list";
  }
}

// Every field of `v` differs from the default's (so a round trip of `v` proves each one travels).
template <class T>
void expect_every_field_set(const T& v) {
  const json a = tf::codec::encode(v), b = tf::codec::encode(T{});
  // (A Setting left to the model is absent from the default's encoding.)
  for (const auto& [key, value] : a.items()) EXPECT_TRUE(!b.contains(key) || value != b.at(key)) << key;
}

template <size_t I = 1>
void round_trip_every_options_type() {
  if constexpr (I < std::variant_size_v<tf::CallOptions>) {
    using T = std::variant_alternative_t<I, tf::CallOptions>;
    const T v = distinct<T>(0);
    expect_every_field_set(v);
    tf::WorkerCall call;
    call.task = "text-classification";
    call.inputs = {"a", "b"};
    call.text_pairs = {"c", "d"};
    call.call_options = v;
    const std::string bytes = proto::encode_call(call);
    const auto back = proto::decode_call({reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size()});
    EXPECT_TRUE(back.call_options == call.call_options) << tf::call_options_to_json(call.call_options);
    EXPECT_EQ(back.text_pairs, call.text_pairs);
    round_trip_every_options_type<I + 1>();
  }
}

template <size_t I = 0>
void round_trip_every_result_type() {
  if constexpr (I < std::variant_size_v<tf::TaskResult>) {
    using R = std::variant_alternative_t<I, tf::TaskResult>;
    const R r = distinct<R>(0);
    expect_every_field_set(r);
    tf::Output out{tf::TaskResult(r), true};
    out.set_truncated_inputs({1, 3});
    const std::string bytes = proto::encode_result({2, out});
    const auto back = proto::decode_result({reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size()});
    EXPECT_TRUE(back.output == out) << I;
    round_trip_every_result_type<I + 1>();
  }
}

}  // namespace

TEST(EveryTask, EveryOptionAndResultFieldSurvivesTheProcessBoundaryByType) {
  round_trip_every_options_type();
  round_trip_every_result_type();
}

namespace {

struct TaskCall {
  const char* task;
  const char* model;
  tf::PipelineInputs inputs;
  tf::CallOptions options;
};

std::vector<TaskCall> every_task_call() {
  return {
      {"text-classification", "tiny-bert-sentiment", {{"a good film", "dull"}, {}}, tf::TextClassificationOptions{.top_k = 2}},
      {"text-classification", "tiny-bert-nli", {{"A man plays guitar.", "It rains."}, {"Music is played.", "It is dry."}},
       tf::TextClassificationOptions{.top_k = std::nullopt}},
      {"feature-extraction", "tiny-bert-embedder", {{"one two three", "four"}, {}},
       tf::FeatureExtractionOptions{.pooling = tf::Pooling::mean, .normalize = true}},
      {"token-classification", "tiny-bert-ner", {{"John lives in New York.", "Mary works at the United Nations."}, {}},
       tf::TokenClassificationOptions{.aggregation_strategy = tf::AggregationStrategy::average}},
      {"fill-mask", "tiny-bert-mlm", {{"The capital of France is [MASK].", "I [MASK] you."}, {}}, tf::FillMaskOptions{.top_k = 3}},
      {"question-answering", "tiny-bert-qa",
       {{"Where does John live?", "Who works there?"}, {"John lives in New York.", "Mary works at the bank."}},
       tf::QuestionAnsweringOptions{.top_k = 2}},
      {"zero-shot-classification", "tiny-bert-nli", {{"The team won the final.", "Parliament passed the law."}, {}},
       tf::ZeroShotClassificationOptions{.candidate_labels = {"sports", "politics"}}},
  };
}

void expect_close(const tf::Output& got, const tf::Output& want, const std::string& what) {
  // Same structure and strings; numbers within 1e-5 (a merged batch pads differently).
  const json g = json::parse(got.to_json()), w = json::parse(want.to_json());
  std::function<void(const json&, const json&, const std::string&)> walk = [&](const json& a, const json& b, const std::string& p) {
    if (b.is_number_float() || a.is_number_float()) {
      EXPECT_NEAR(a.get<double>(), b.get<double>(), 1e-5) << what << p;
    } else if (b.is_array() || b.is_object()) {
      ASSERT_EQ(a.size(), b.size()) << what << p << "\n" << a.dump() << "\n" << b.dump();
      for (auto it = b.begin(); it != b.end(); ++it)
        walk(b.is_array() ? a[static_cast<size_t>(it - b.begin())] : a[it.key()], *it, p + "/" + (b.is_array() ? std::to_string(it - b.begin()) : it.key()));
    } else {
      EXPECT_EQ(a, b) << what << p;
    }
  };
  walk(g, w, "");
}

tf::WorkerOptions worker_options(tf::WorkerKind kind) {
  tf::WorkerOptions o;
  o.kind = kind;
  if (kind == tf::WorkerKind::process) o.executable = TRANSFORMERS_CLI_PATH;
  return o;
}

}  // namespace

TEST(EveryTask, WorkersAndTheBatcherGiveWhatTheLibraryGives) {
  auto thread = tf::make_worker(worker_options(tf::WorkerKind::thread));
  auto process = tf::make_worker(worker_options(tf::WorkerKind::process));
  for (const TaskCall& c : every_task_call()) {
    SCOPED_TRACE(std::string(c.task) + " " + c.model);
    auto p = std::make_shared<tf::Pipeline>(tf::pipeline(c.task, tf::fixtures::model(c.model)));
    const tf::Output direct = p->call(c.inputs, true, c.options);
    tf::WorkerCall call;
    call.task = c.task;
    call.model = tf::fixtures::model(c.model);
    call.inputs = c.inputs.texts;
    call.text_pairs = c.inputs.text_pairs;
    call.call_options = c.options;
    expect_close(thread->submit(call).get(), direct, "thread worker");
    expect_close(process->submit(call).get(), direct, "process worker");
    // The batcher: each input its own call, merged into one inference; each answered as if alone.
    tf::DynamicBatcherOptions bo;
    bo.max_wait = std::chrono::hours(1);
    bo.max_batch_size = c.inputs.size();
    tf::DynamicBatcher batcher(p, bo);
    std::vector<std::future<tf::Output>> futures;
    for (size_t i = 0; i < c.inputs.size(); ++i) {
      futures.push_back(c.inputs.pairs() ? batcher.submit(tf::TextPair{c.inputs.texts[i], c.inputs.text_pairs[i]}, c.options)
                                         : batcher.submit(c.inputs.texts[i], c.options));
    }
    for (size_t i = 0; i < futures.size(); ++i) {
      tf::PipelineInputs one{{c.inputs.texts[i]}, {}};
      if (c.inputs.pairs()) one.text_pairs.push_back(c.inputs.text_pairs[i]);
      expect_close(futures[i].get(), p->call(one, false, c.options), "batcher input " + std::to_string(i));
    }
    EXPECT_EQ(batcher.stats().batches, 1u) << "the calls were not merged";
  }
}

TEST(EveryTask, BadInputsAreClearErrors) {
  using tf::fixtures::message_of;
  const auto contains = [](const std::string& msg, const char* part) { return msg.find(part) != std::string::npos; };
  auto mlm = tf::pipeline("fill-mask", tf::fixtures::model("tiny-bert-mlm"));
  EXPECT_TRUE(contains(message_of<tf::InvalidInputError>([&] { mlm("no mask here"); }), "mask token ([MASK]) not found"));
  EXPECT_TRUE(contains(message_of<tf::InvalidInputError>([&] { mlm(std::vector<std::string>{"a [MASK]", "none"}); }), "input 1"));
  EXPECT_TRUE(contains(message_of<tf::InvalidInputError>([&] { mlm("a [MASK]", tf::FillMaskOptions{.top_k = 0}); }), "top_k"));
  EXPECT_NO_THROW(mlm("still [MASK] usable"));  // the pipeline stays usable

  auto qa = tf::pipeline("question-answering", tf::fixtures::model("tiny-bert-qa"));
  EXPECT_TRUE(contains(message_of<tf::InvalidInputError>([&] { qa(tf::TextPair{"", "a context"}); }), "question"));
  EXPECT_TRUE(contains(message_of<tf::InvalidInputError>([&] { qa(tf::TextPair{"why?", ""}); }), "context"));
  EXPECT_TRUE(contains(message_of<tf::InvalidInputError>([&] { qa("just a text"); }), "TextPair{question, context}"));

  auto nli = tf::pipeline("zero-shot-classification", tf::fixtures::model("tiny-bert-nli"));
  EXPECT_TRUE(contains(message_of<tf::InvalidInputError>([&] { nli("a text"); }), "no candidate labels"));
  EXPECT_TRUE(contains(message_of<tf::InvalidInputError>([&] {
                         nli("a text", tf::ZeroShotClassificationOptions{.candidate_labels = {"x"}, .hypothesis_template = "no slot"});
                       }),
                       "has no {}"));

  auto ner = tf::pipeline("token-classification", tf::fixtures::model("tiny-bert-ner"));
  EXPECT_TRUE(contains(message_of<tf::InvalidInputError>(
                           [&] { tf::call_options_from_json("ner", R"({"aggregation_strategy": "longest"})"); }),
                       "one of none|simple|first|average|max"));
  EXPECT_TRUE(contains(message_of<tf::InvalidInputError>([&] { tf::call_options_from_json("ner", R"({"top_k": 3})"); }),
                       "unknown field 'top_k'"));
  EXPECT_TRUE(contains(message_of<tf::InvalidInputError>([&] { ner("text", tf::FillMaskOptions{}); }),
                       "given the options of fill-mask"));
  EXPECT_TRUE(contains(message_of<tf::InvalidInputError>([&] { ner(tf::TextPair{"a", "b"}); }), "takes texts, not text pairs"));

  // JSON calls (Pipeline::call_json): what does not fit is named.
  EXPECT_TRUE(contains(message_of<tf::InvalidInputError>([&] { ner.call_json("[\"a\", 3]"); }), "input 1 must be a string"));
  EXPECT_TRUE(contains(message_of<tf::InvalidInputError>([&] { ner.call_json("{not json"); }), "not JSON"));
  EXPECT_TRUE(contains(message_of<tf::InvalidInputError>([&] { qa.call_json(R"({"question": ["a"], "context": []})"); }),
                       "lists of one length"));
  EXPECT_TRUE(contains(message_of<tf::InvalidInputError>([&] { qa.call_json(R"({"question": "a"})"); }),
                       "needs both \"question\" and \"context\""));
  EXPECT_TRUE(contains(message_of<tf::InvalidInputError>([&] { ner.call_json("\"a\"", R"({"top_k": 1})"); }), "unknown field"));
  EXPECT_NO_THROW(qa.call_json(R"({"question": "Who?", "context": "John lives here."})", R"({"top_k": 2})"));
}

TEST(EveryTask, TokenClassificationLabelsMustMatchTheLogits) {
  tf::fixtures::ScratchDir dir("ner-labels");
  const auto src = tf::fixtures::model("tiny-bert-ner");
  std::filesystem::copy(src, dir.path, std::filesystem::copy_options::recursive);
  json config = json::parse(tf::core::read_text_file(dir.path / "config.json", "config"));
  config["id2label"] = {{"0", "O"}, {"1", "B-PER"}};
  config["label2id"] = {{"O", 0}, {"B-PER", 1}};
  std::ofstream(dir.path / "config.json") << config.dump();
  const std::string msg = tf::fixtures::message_of<tf::ModelLoadError>([&] { tf::pipeline("ner", dir.path); });
  EXPECT_NE(msg.find("2 labels in id2label"), std::string::npos) << msg;
  EXPECT_NE(msg.find("7 logits per token"), std::string::npos) << msg;
}
