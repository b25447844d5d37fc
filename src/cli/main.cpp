// transformers-cpp: the command-line front end (run, inspect, bench), a thin layer over the library.
#include <cstdio>
#include <cstring>
#include <string>

#include "transformers/engine.hpp"

#include "cli/args.hpp"
#include "cli/options.hpp"
#include "transformers/error.hpp"

namespace {
// Each command's usage, declared once: `transformers-cpp --help` prints them all, `CMD --help` its own.
struct CommandHelp {
  const char* name;
  const char* text;
};
const CommandHelp kCommands[] = {
    {"run", R"(  run <task> --model DIR [--dtype D] [task options] [--threads N] [--no-prepack] [--json]
             [--batch-size N] [--text-pair T2] [TEXT... | lines on stdin]
  run question-answering --model DIR --question Q --context C [--top-k K] [--max-answer-len N]
             TEXT...: one call; stdin: batches of N lines (default 32) printed as each ends, with --json one
             JSON line per input line (--no-prepack: unpacked weights from the sidecar, slower; docs/performance.md)
             --text-pair: each TEXT with T2 as a sentence pair (text-classification: cross-encoders)
             task options: each task's option fields as flags (top_k -> --top-k); lists comma-separated
)"},
    {"inspect", R"(  inspect DIR [--json]             config summary, files and sizes, ONNX inputs/outputs and opset
)"},
    {"bench", R"(  bench <task> --model DIR [--dtype D] [--batch B] [--seq S] [--runs N] [--warmup W] [--threads N]
               [--pooling P] [--no-normalize] [--loads N] [--no-prepack] [--json]
               input: B copies of "hello" repeated to S tokens (counted by the tokenizer; the count the model
               saw is reported); feature-extraction defaults to mean pooling + normalize
)"},
    {"similarity", R"(  similarity --model DIR [--pooling mean|cls|last_token] [--json] QUERY SENTENCE...
                                   rank sentences by cosine similarity to the query, with the memory report
                                   (what is not given as arguments is read from stdin lines)
)"},
    {"mem", R"(  mem <task> --model DIR [--policy immediate|deferred:MS|retain] [--runs N] [--cycles N] [--then DIR2]
             [--worker thread|process] [--plot FILE.svg] [--json]
                                   the memory report at each phase of a pipeline's life (--worker: inside a
                                   worker, host and worker side by side, including after terminate)
)"},
    {"tokenize", R"(  tokenize --model DIR [--pair TEXT] [--no-special] [--json] [TEXT | lines on stdin]
  tokenize --model DIR --decode IDS [--skip-special]
                                   ids, tokens and offsets of a text (or the text of comma-separated ids)
)"},
    {"quantize", R"(  quantize DIR [--dtype q8] [--per-channel] [--reduce-range] [--float-embeddings]
                                   writes DIR/onnx/model_quantized.onnx from model.onnx: dynamic int8
                                   (DynamicQuantizeLinear + MatMulInteger), what --dtype q8 then loads
)"},
    {"cache", R"(  cache list|clear|prune [--max-size 2G] [--dir DIR] [--json]
                                   the weights cache: entries (newest first) and sizes, remove all, or remove
                                   the least recently used until it fits --max-size (docs/memory-weights.md)
)"},
    {"worker", R"(  worker --fd N                    the child side of a process worker (started by the library, not by hand)
)"},
};

// The task options, from the option types themselves (so the help cannot miss one): lists take
// comma-separated items, "or null" options take "all".
std::string task_options_help() {
  std::string s;
  for (const auto& task : transformers::supported_tasks()) {
    const auto fields = transformers::task_option_fields(task);
    if (fields.empty() || transformers::canonical_task(task) != task) continue;
    s += "               " + task + ":";
    for (const auto& [field, kind] : fields) {
      s += " --" + transformers::cli::flag_of(field);
      if (kind == "boolean") continue;
      std::string shown = kind;  // on the command line a null integer is written "all"; other nulls: leave the flag out
      if (const size_t at = shown.find(" or null"); at != std::string::npos)
        shown.replace(at, 8, shown.rfind("integer", 0) == 0 ? " or all" : "");
      if (shown.rfind("one of ", 0) == 0) shown = shown.substr(7);
      s += " <" + shown + ">";
    }
    s += "\n";
  }
  return s;
}

std::string usage() {
  std::string s = "usage: transformers-cpp <command> [options]   (transformers-cpp <command> --help, --version)\n\ncommands:\n";
  for (const auto& c : kCommands) {
    s += c.text;
    if (!std::strcmp(c.name, "run")) s += task_options_help();
  }
  s += "\ntasks: text-classification (sentiment-analysis), feature-extraction (embeddings), token-classification (ner),\n"
       "       fill-mask, question-answering, zero-shot-classification\n";
  s += "exit codes: 0 done, 1 a model or file could not be loaded or a run failed, 2 bad usage or input\n";
  return s;
}

bool asks_help(int argc, char** argv) {
  for (int i = 2; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--")) return false;
    if (!std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h")) return true;
  }
  return false;
}
}  // namespace

int main(int argc, char** argv) {
  using namespace transformers;
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") || !std::strcmp(argv[1], "help")) {
    std::fputs(usage().c_str(), argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  if (!std::strcmp(argv[1], "--version")) {
    std::printf("transformers-cpp %s (ONNX Runtime %s)\n", TRANSFORMERS_CPP_VERSION, onnxruntime_version().c_str());
    return 0;
  }
  const std::string command = argv[1];
  if (asks_help(argc, argv)) {
    for (const auto& c : kCommands) {
      if (command != c.name) continue;
      std::printf("usage:\n%s%s", c.text, command == "run" ? task_options_help().c_str() : "");
      return 0;
    }
  }
  try {
    if (command == "run") {
      auto [values, booleans] = cli::task_option_flags();
      values.insert({"model", "dtype", "threads", "model-file-name", "batch-size", "text-pair", "question", "context"});
      booleans.insert({"json", "no-prepack"});
      return cli::run_command(cli::Args(argc, argv, 2, values, booleans));
    }
    if (command == "inspect") return cli::inspect_command(cli::Args(argc, argv, 2, {}, {"json"}));
    if (command == "bench") {
      return cli::bench_command(cli::Args(argc, argv, 2,
                                          {"model", "dtype", "batch", "seq", "runs", "warmup", "threads",
                                           "pooling", "loads"},
                                          {"json", "no-normalize", "no-prepack"}));
    }
    if (command == "similarity") {
      return cli::similarity_command(
          cli::Args(argc, argv, 2, {"model", "dtype", "pooling", "threads", "model-file-name"}, {"json"}));
    }
    if (command == "mem") {
      return cli::mem_command(cli::Args(argc, argv, 2,
                                        {"model", "dtype", "policy", "cycles", "runs", "then", "plot", "threads",
                                         "model-file-name", "worker"},
                                        {"json"}));
    }
    if (command == "quantize")
      return cli::quantize_command(cli::Args(argc, argv, 2, {"dtype"}, {"per-channel", "float-embeddings", "reduce-range"}));
    if (command == "cache") return cli::cache_command(cli::Args(argc, argv, 2, {"dir", "max-size"}, {"json"}));
    if (command == "tokenize") return cli::tokenize_command(argc, argv);
    if (command == "worker") return cli::worker_command(argc, argv);
    std::fprintf(stderr, "unknown command '%s'\n\n%s", command.c_str(), usage().c_str());
    return 2;
  } catch (const InvalidInputError& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
