#include "cli/commands.hpp"

#include <map>

#include "cli/options.hpp"
#include "transformers/pipeline.hpp"

namespace transformers::cli {

namespace {

const Flag kModel{"model", "DIR", "the model folder (Transformers.js layout)"};
const Flag kDtype{"dtype", "D", "fp32, fp16, q8, int8, uint8, q4, q4f16, bnb4 or auto (default: config.json's, else fp32)"};
const Flag kThreads{"threads", "N", "ONNX Runtime intra-op threads: 0 = one per core (default), at most 4 per core"};
const Flag kJson{"json", "", "print JSON"};
const Flag kNoPrepack{"no-prepack", "", "unpacked file-backed weights (the sidecar), not the optimized-model cache: slower"};
const Flag kModelFileName{"model-file-name", "NAME", "onnx/<NAME><dtype suffix>.onnx (default model)"};

// run's flags: the common ones, the input flags, and every task's options (from their types).
std::vector<Flag> run_flags() {
  std::vector<Flag> flags = {kModel, kDtype, kThreads, kModelFileName, kJson, kNoPrepack,
                             {"batch-size", "N", "stdin lines per call (default 32)"},
                             {"text-pair", "T2", "each TEXT with T2 as a sentence pair (text-classification)"},
                             {"question", "Q", "question-answering: the question"},
                             {"context", "C", "question-answering: the context"},
                             {"stream", "", "generation tasks: print the text as it is generated"}};
  std::map<std::string, std::vector<std::string>> tasks_of;  // flag -> the tasks that read it
  std::map<std::string, std::string> kind_of;
  for (const auto& task : supported_tasks()) {
    if (canonical_task(task) != task) continue;
    for (const auto& [field, kind] : task_option_fields(task)) {
      tasks_of[flag_of(field)].push_back(task);
      // Shown once for every task that has it: the nullable kind when one task's is (top_k "all").
      if (kind_of[flag_of(field)].find(" or null") == std::string::npos) kind_of[flag_of(field)] = kind;
    }
  }
  for (const auto& [flag, tasks] : tasks_of) {
    std::string shown = kind_of[flag];  // a null integer is written "all"; other nulls: leave the flag out
    if (const size_t at = shown.find(" or null"); at != std::string::npos)
      shown.replace(at, 8, shown.rfind("integer", 0) == 0 ? " or all" : "");
    if (shown.rfind("one of ", 0) == 0) shown = shown.substr(7);
    if (shown.rfind("list of ", 0) == 0) shown = "A,B,...";
    std::string who;
    for (const auto& t : tasks) who += (who.empty() ? "" : ", ") + t;
    flags.push_back({flag, shown == "boolean" ? "" : shown, "option of " + who});
  }
  return flags;
}

}  // namespace

const std::vector<Command>& commands() {
  static const std::vector<Command> table = {
      {"run", "<task> [TEXT... | lines on stdin]", run_flags(),
       "  TEXT...: one call; stdin: batches of --batch-size lines printed as each ends (--json: one JSON line\n"
       "  per input line). question-answering takes --question and --context. Task options are each task's\n"
       "  option fields (top_k -> --top-k; lists comma-separated); one of another task is an error.\n"
       "  tasks: text-classification (sentiment-analysis), feature-extraction (embeddings), token-classification\n"
       "  (ner), fill-mask, question-answering, zero-shot-classification, text-generation, text2text-generation,\n"
       "  translation, summarization\n",
       run_command},
      {"inspect", "DIR", {kJson}, "  config summary, files and sizes, ONNX inputs/outputs and opset\n", inspect_command},
      {"bench", "<task>",
       {kModel, kDtype, kThreads, kJson, kNoPrepack,
        {"batch", "B", "inputs per call (default 1)"},
        {"seq", "S", "tokens per input (default 16)"},
        {"runs", "N", "timed calls (default 50)"},
        {"warmup", "W", "untimed calls first (default 3)"},
        {"pooling", "P", "feature-extraction pooling (default mean)"},
        {"no-normalize", "", "feature-extraction without normalize"},
        {"loads", "N", "loads of the model timed (default 1)"},
        {"new-tokens", "N", "generation tasks: tokens generated per call (default 64; --seq default 64, --runs 5)"}},
       "  input: B copies of \"hello\" repeated to S tokens (counted by the tokenizer; the count the model saw\n"
       "  is reported); feature-extraction defaults to mean pooling + normalize; generation tasks report time to\n"
       "  first token, per-token p50/p90, tokens/s, cache bytes per token and allocations per step\n",
       bench_command},
      {"similarity", "QUERY SENTENCE...",
       {kModel, kDtype, kThreads, kModelFileName, kJson, {"pooling", "P", "mean (default), cls or last_token"}},
       "  rank sentences by cosine similarity to the query, with the memory report (what is not given as\n"
       "  arguments is read from stdin lines)\n",
       similarity_command},
      {"mem", "<task>",
       {kModel, kDtype, kThreads, kModelFileName, kJson,
        {"policy", "P", "immediate, deferred:MS or retain"},
        {"runs", "N", "calls per cycle (default 10)"},
        {"cycles", "N", "load-run-dispose cycles (default 0)"},
        {"then", "[TASK:]DIR2", "a second pipeline (of TASK, default the same task) loaded after the first is disposed"},
        {"inputs", "FILE", "the first pipeline's inputs, one per line (default: the task's samples)"},
        {"worker", "KIND", "thread or process: inside a worker, host and worker side by side"},
        {"warm-up", "", "load, run and dispose the first pipeline once before the measured phases"},
        {"plot", "FILE.svg", "an SVG plot of the phases"}},
       "  the memory report at each phase of a pipeline's life (with --worker, including after terminate; with a\n"
       "  deferred policy, after its idle period). The articles' scenario: mem translation --model DIR\n"
       "  --then text-classification:DIR2 --worker process (docs/seed-scenario.md)\n",
       mem_command},
      {"tokenize", "[TEXT | lines on stdin]",
       {kModel, kJson,
        {"pair", "TEXT", "a second text (a pair)"},
        {"no-special", "", "without special tokens"},
        {"decode", "IDS", "the text of comma-separated ids instead"},
        {"skip-special", "", "with --decode: leave special tokens out"}},
       "  ids, tokens and offsets of a text (or the text of comma-separated ids)\n",
       tokenize_command},
      {"quantize", "DIR",
       {{"dtype", "q8", "the only one: dynamic int8"},
        {"per-channel", "", "one scale per output channel"},
        {"reduce-range", "", "7-bit weights: the same numbers with and without VNNI"},
        {"float-embeddings", "", "keep embedding tables float"}},
       "  writes DIR/onnx/model_quantized.onnx from model.onnx: dynamic int8 (DynamicQuantizeLinear +\n"
       "  MatMulInteger), what --dtype q8 then loads\n",
       quantize_command},
      {"cache", "list|clear|prune",
       {kJson, {"dir", "DIR", "the cache folder (default: the weights cache)"},
        {"max-size", "SIZE", "prune: remove the least recently used until it fits (e.g. 2G)"}},
       "  the weights cache: entries (newest first) and sizes, remove all, or prune (docs/memory-weights.md)\n",
       cache_command},
      {"serve", "",
       {{"model", "NAME=[TASK:]DIR", "a model served as NAME (repeatable; TASK inferred from config.json when left out)", true},
        {"model-repository", "DIR", "every sub-folder with a config.json, served by its folder name"},
        {"host", "ADDR", "address to listen on (default 127.0.0.1)"},
        {"port", "N", "port (default 8080; 0 = any free one, printed)"},
        {"grpc-port", "N", "also serve KServe v2 over gRPC on this port (0 = any free one, printed)"},
        {"budget", "SIZE", "memory budget over every loaded model, e.g. 2G (default none)"},
        {"workers", "KIND", "none (default: in process), thread or process (one worker per model)"},
        {"model-control", "MODE", "on-demand (default: load at first use, evict idle ones to fit) or explicit"},
        {"preload", "", "on-demand: load every model at start"},
        {"max-concurrent", "N", "inference requests running at once (default 32)"},
        {"max-queue", "N", "requests waiting beyond those; more get 429 (default 64)"},
        {"api-key", "KEY", "require Authorization: Bearer KEY on every route but health"},
        {"api-key-file", "FILE", "the key from a file's first line"},
        {"max-body", "SIZE", "largest request body (default 8M)"},
        {"max-inputs", "N", "texts in one request (default 256)"},
        {"max-input-bytes", "SIZE", "bytes of one text (default 64K)"},
        {"header-timeout-ms", "MS", "time for a request's headers, idle keep-alive included (default 10000)"},
        {"body-timeout-ms", "MS", "time for a request's body (default 30000)"},
        {"max-batch", "N", "dynamic batcher: texts per inference (default 16)"},
        {"batch-wait-us", "US", "dynamic batcher: longest wait for a batch to fill (default 2000)"},
        kDtype, kThreads},
       "  HTTP: native POST /v1/pipeline/{task}; OpenAI /v1/models, /v1/embeddings, /v1/completions,\n"
       "  /v1/chat/completions (stream: true = server-sent events); TEI /embed, /predict, /info; KServe v2\n"
       "  /v2/health/*, /v2/models/{name}[/ready|/infer], /v2/repository/*; GET /metrics (docs/server.md)\n",
       serve_command},
      {"worker", "", {{"fd", "N", "the socket inherited from the host process"}},
       "  the child side of a process worker (started by the library, not by hand)\n", worker_command},
  };
  return table;
}

const Command* find_command(const std::string& name) {
  for (const auto& c : commands())
    if (c.name == name) return &c;
  return nullptr;
}

namespace {
std::string synopsis(const Command& c) {
  std::string s = "  " + c.name;
  if (!c.positionals.empty()) s += " " + c.positionals;
  for (const Flag& f : c.flags) {
    if (f.name == "model" && c.name != "cache") s += " --model DIR";
    else s += " [--" + f.name + (f.value.empty() ? "" : " " + f.value) + "]";
  }
  // Wrap at 110 columns, continuation lines indented.
  std::string out, line;
  size_t start = 0;
  while (start < s.size()) {
    size_t next = s.find(" [", start + 1);
    const std::string piece = s.substr(start, next == std::string::npos ? std::string::npos : next - start);
    if (!line.empty() && line.size() + piece.size() > 110) {
      out += line + "\n";
      line = "       ";
    }
    line += piece;
    start = next == std::string::npos ? s.size() : next;
  }
  return out + line + "\n";
}
}  // namespace

std::string help_of(const Command& c) {
  std::string s = "usage:\n" + synopsis(c) + c.notes;
  if (!c.flags.empty()) s += "options:\n";
  for (const Flag& f : c.flags) {
    std::string left = "  --" + f.name + (f.value.empty() ? "" : " " + f.value);
    if (left.size() < 30) left.resize(30, ' ');
    else left += "\n" + std::string(30, ' ');
    s += left + f.help + "\n";
  }
  return s;
}

std::string usage() {
  std::string s = "usage: transformers-cpp <command> [options]   (transformers-cpp <command> --help, --version)\n\ncommands:\n";
  for (const auto& c : commands()) s += synopsis(c) + c.notes;
  s += "exit codes: 0 done, 1 a model or file could not be loaded or a run failed, 2 bad usage or input\n";
  return s;
}

}  // namespace transformers::cli
