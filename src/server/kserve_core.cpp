// Tensors per task (docs/server.md): text in as BYTES `text` [N] (question-answering: `question` and
// `context` [N]; text-classification may add `text_pair` [N]); out as `embeddings` FP32 [N, D], `labels`
// BYTES + `scores` FP32 [N, K], `generated_text` BYTES [N, R], and for every task `json` BYTES [N]: each
// input's Transformers.js result as JSON text. `parameters` carry the task's options.
#include "server/kserve_core.hpp"

#include <map>
#include <set>

#include "server/api_error.hpp"
#include "server/routes.hpp"
#include "server/served_models.hpp"

namespace transformers::server {

namespace {

using nlohmann::json;

struct TaskTensors {
  std::vector<const char*> inputs;   // required first
  std::vector<const char*> outputs;  // what a request without "outputs" gets
};

TaskTensors tensors_of(const std::string& task) {
  if (task == "feature-extraction") return {{"text"}, {"embeddings"}};
  if (task == "text-classification") return {{"text", "text_pair"}, {"labels", "scores"}};
  if (task == "zero-shot-classification") return {{"text"}, {"labels", "scores"}};
  if (task == "question-answering") return {{"question", "context"}, {"answer", "score"}};
  if (task == "text-generation" || task == "text2text-generation" || task == "translation" || task == "summarization") {
    return {{"text"}, {"generated_text"}};
  }
  return {{"text"}, {"json"}};  // token-classification, fill-mask: lists of objects per input
}

// The string a generation result holds for each input and sequence.
std::vector<std::vector<std::string>> generated_texts(const Output& out) {
  std::vector<std::vector<std::string>> rows;
  std::visit(
      [&](const auto& r) {
        using R = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<R, TextGenerationResult>) {
          for (const auto& in : r.inputs) {
            rows.emplace_back();
            for (const auto& g : in) rows.back().push_back(g.generated_text);
          }
        } else if constexpr (std::is_same_v<R, Text2TextGenerationResult> || std::is_same_v<R, TranslationResult> ||
                             std::is_same_v<R, SummarizationResult>) {
          rows = r.inputs;
        } else {
          throw ApiError(500, "internal", "not a generation result");
        }
      },
      out.result());
  return rows;
}

KServeTensor bytes_tensor(const std::string& name, std::vector<int64_t> shape, std::vector<std::string> data) {
  KServeTensor t{name, "BYTES", std::move(shape), std::move(data), {}};
  return t;
}
KServeTensor fp32_tensor(const std::string& name, std::vector<int64_t> shape, std::vector<float> data) {
  KServeTensor t{name, "FP32", std::move(shape), {}, std::move(data)};
  return t;
}

// A BYTES input's strings, its shape checked against its elements.
std::vector<std::string> bytes_input(const KServeTensor& tensor, const ServeOptions& options) {
  const std::string& name = tensor.name;
  if (tensor.datatype != "BYTES") throw ApiError(400, "invalid_input", "input '" + name + "': datatype must be BYTES, got " + tensor.datatype);
  if (tensor.shape.empty() || tensor.shape.size() > 2 || (tensor.shape.size() == 2 && tensor.shape[1] != 1)) {
    throw ApiError(400, "invalid_input", "input '" + name + "': shape must be [N] (or [N, 1]), got " + json(tensor.shape).dump());
  }
  if (tensor.shape[0] < 0) throw ApiError(400, "invalid_input", "input '" + name + "': shape must be non-negative");
  if (tensor.shape[0] != int64_t(tensor.bytes.size())) {
    throw ApiError(400, "invalid_input", "input '" + name + "': shape " + json(tensor.shape).dump() + " holds " +
                                             std::to_string(tensor.shape[0]) + " elements, data has " + std::to_string(tensor.bytes.size()));
  }
  if (tensor.bytes.empty()) throw ApiError(400, "invalid_input", "input '" + name + "' is empty");
  check_texts(tensor.bytes, options);
  return tensor.bytes;
}

}  // namespace

void kserve_check_version(const std::string& version) {
  if (!version.empty() && version != kKServeModelVersion) {
    throw ApiError(404, "model_not_found", "model version '" + version + "' does not exist (every model has version 1)");
  }
}

KServeModelMetadata kserve_model_metadata(const ModelSpec& spec) {
  KServeModelMetadata m;
  m.name = spec.name;
  m.task = spec.task;
  const TaskTensors t = tensors_of(spec.task);
  for (const char* n : t.inputs) m.inputs.push_back({n, "BYTES", {-1}});
  auto describe = [](const std::string& n) -> KServeTensorMetadata {
    if (n == "embeddings" || n == "scores") return {n, "FP32", {-1, -1}};
    if (n == "score") return {n, "FP32", {-1}};
    if (n == "labels" || n == "generated_text") return {n, "BYTES", {-1, -1}};
    return {n, "BYTES", {-1}};
  };
  for (const char* n : t.outputs) m.outputs.push_back(describe(n));
  if (std::string(t.outputs[0]) != "json") m.outputs.push_back(describe("json"));
  return m;
}

KServeInferResponse kserve_infer(ServedModels& models, const ServeOptions& options, const KServeInferRequest& request) {
  kserve_check_version(request.version);
  const ModelSpec& spec = models.spec(request.model);
  if (request.inputs.empty()) throw ApiError(400, "invalid_input", "the request has no input tensors");
  const TaskTensors t = tensors_of(spec.task);
  std::map<std::string, std::vector<std::string>> inputs;
  for (const auto& tensor : request.inputs) {
    const std::string& name = tensor.name;
    if (name.empty()) throw ApiError(400, "invalid_input", "every input tensor needs a name");
    if (inputs.count(name)) throw ApiError(400, "invalid_input", "input '" + name + "' is given twice");
    bool known = false;
    for (const char* n : t.inputs) known = known || name == n;
    if (!known) throw ApiError(400, "invalid_input", "model '" + spec.name + "' (" + spec.task + ") has no input '" + name + "'");
    inputs[name] = bytes_input(tensor, options);
  }
  const std::string first = t.inputs[0];
  if (!inputs.count(first)) throw ApiError(400, "invalid_input", "the input '" + first + "' is missing");
  const std::vector<std::string>& texts = inputs[first];
  std::vector<std::string> pairs;
  if (t.inputs.size() > 1) {
    const std::string second = t.inputs[1];
    if (inputs.count(second)) pairs = inputs[second];
    if (spec.task == "question-answering" && pairs.empty()) throw ApiError(400, "invalid_input", "the input 'context' is missing");
    if (!pairs.empty() && pairs.size() != texts.size()) {
      throw ApiError(400, "invalid_input", "inputs '" + first + "' and '" + second + "' differ in length (" +
                                               std::to_string(texts.size()) + " and " + std::to_string(pairs.size()) + ")");
    }
  }
  // Options: the task's fields from "parameters" (embeddings: mean pooling and normalize unless said).
  json params = json::object();
  if (spec.task == "feature-extraction") {
    const auto d = embedding_options(spec, true);
    params = {{"pooling", d.pooling == Pooling::cls ? "cls" : d.pooling == Pooling::last_token ? "last_token" : "mean"}, {"normalize", true}};
  }
  if (!request.parameters.is_object()) throw ApiError(400, "invalid_input", "\"parameters\" must be an object");
  for (const auto& [k, v] : request.parameters.items()) params[k] = v;
  if (spec.task == "feature-extraction" && params["pooling"] == "none") {
    throw ApiError(400, "invalid_input", "\"pooling\": \"none\" gives no [N, D] tensor; use mean, cls or last_token");
  }
  const CallOptions call_options = call_options_from_json(spec.task, params.dump());
  std::set<std::string> wanted(request.outputs.begin(), request.outputs.end());
  if (wanted.empty()) wanted.insert(t.outputs.begin(), t.outputs.end());

  const std::vector<Output> rows = models.call_each(spec.name, texts, pairs, call_options);
  const int64_t n = static_cast<int64_t>(rows.size());
  std::map<std::string, KServeTensor> produced;
  auto want = [&](const char* name) { return wanted.count(name) > 0; };
  if (want("json")) {
    std::vector<std::string> data;
    for (const Output& r : rows) data.push_back(r.to_json());
    produced["json"] = bytes_tensor("json", {n}, data);
  }
  if (spec.task == "feature-extraction" && want("embeddings")) {
    const auto e = embeddings_of(rows);
    std::vector<float> data;
    for (const auto& row : e) data.insert(data.end(), row.begin(), row.end());
    produced["embeddings"] = fp32_tensor("embeddings", {n, e.empty() ? 0 : int64_t(e[0].size())}, data);
  }
  if (spec.task == "text-classification" || spec.task == "zero-shot-classification") {
    std::vector<std::string> labels;
    std::vector<float> scores;
    int64_t k = -1;
    for (const Output& r : rows) {
      std::vector<std::pair<std::string, float>> ls;
      if (spec.task == "text-classification") {
        for (const auto& l : r.labels().at(0)) ls.emplace_back(l.label, l.score);
      } else {
        const auto& z = r.get<ZeroShotClassificationResult>().inputs.at(0);
        for (size_t i = 0; i < z.labels.size(); ++i) ls.emplace_back(z.labels[i], z.scores[i]);
      }
      if (k >= 0 && k != int64_t(ls.size())) throw ApiError(500, "internal", "inputs got different numbers of labels");
      k = int64_t(ls.size());
      for (const auto& [l, s] : ls) {
        labels.push_back(l);
        scores.push_back(s);
      }
    }
    if (want("labels")) produced["labels"] = bytes_tensor("labels", {n, k}, labels);
    if (want("scores")) produced["scores"] = fp32_tensor("scores", {n, k}, scores);
  }
  if (spec.task == "question-answering") {
    std::vector<std::string> answers;
    std::vector<float> scores;
    for (const Output& r : rows) {
      const auto& a = r.get<QuestionAnsweringResult>().inputs.at(0).at(0);
      answers.push_back(a.answer);
      scores.push_back(a.score);
    }
    if (want("answer")) produced["answer"] = bytes_tensor("answer", {n}, answers);
    if (want("score")) produced["score"] = fp32_tensor("score", {n}, scores);
  }
  if (want("generated_text") && tensors_of(spec.task).outputs[0] == std::string("generated_text")) {
    std::vector<std::string> data;
    int64_t r = -1;
    for (const Output& o : rows) {
      const auto texts_of_row = generated_texts(o);
      for (const auto& s : texts_of_row.at(0)) data.push_back(s);
      r = int64_t(texts_of_row.at(0).size());
    }
    produced["generated_text"] = bytes_tensor("generated_text", {n, r}, data);
  }
  std::vector<KServeTensor> outputs;
  for (const auto& name : wanted) {
    auto it = produced.find(name);
    if (it == produced.end()) throw ApiError(400, "invalid_input", "model '" + spec.name + "' (" + spec.task + ") has no output '" + name + "'");
    outputs.push_back(std::move(it->second));
  }
  KServeInferResponse res{spec.name, kKServeModelVersion, request.id, std::move(outputs)};
  return res;
}

}  // namespace transformers::server
