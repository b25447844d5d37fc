// `transformers-cpp run`: one pipeline call on texts from the command line or stdin.
#include <cstdio>
#include <iostream>

#include "cli/args.hpp"
#include "cli/options.hpp"
#include "pipelines/batch_rows.hpp"
#include "transformers/error.hpp"
#include "transformers/pipeline.hpp"

namespace transformers::cli {

namespace {
void print_text(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stdout);  // a NUL byte in the text is printed too
  std::fputc('\n', stdout);
}

void print_tensor(const Tensor& t) {
  std::printf("tensor %s float32\n", t.dims_string().c_str());
  const size_t width = t.dims.empty() ? 0 : static_cast<size_t>(t.dims.back());
  for (size_t off = 0, row = 0; off < t.data.size() && width > 0; off += width, ++row) {
    std::printf("  [%zu] ", row);
    for (size_t k = 0; k < width && k < 6; ++k) std::printf("% .5f ", t.data[off + k]);
    if (width > 6) std::printf("... (%zu values)", width);
    std::printf("\n");
  }
}

// Each input's text, then its result, one line per label / entity / candidate / answer.
void print_human(const Output& out, const std::vector<std::string>& texts) {
  std::visit(
      [&](const auto& r) {
        using R = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<R, FeatureExtractionResult>) {
          print_tensor(r.tensor);
        } else {
          for (size_t i = 0; i < r.inputs.size(); ++i) {
            print_text(texts[i]);
            const auto& entry = r.inputs[i];
            if constexpr (std::is_same_v<R, TextClassificationResult>) {
              for (const auto& l : entry) std::printf("  %-20s %.6f\n", l.label.c_str(), l.score);
            } else if constexpr (std::is_same_v<R, TokenClassificationResult>) {
              for (const auto& t : entry)
                std::printf("  %-12s %.6f  %s  [%lld, %lld)\n", t.entity.c_str(), t.score, t.word.c_str(),
                            static_cast<long long>(t.start), static_cast<long long>(t.end));
            } else if constexpr (std::is_same_v<R, FillMaskResult>) {
              for (const auto& c : entry) std::printf("  %.6f  %-15s %s\n", c.score, c.token_str.c_str(), c.sequence.c_str());
            } else if constexpr (std::is_same_v<R, QuestionAnsweringResult>) {
              for (const auto& a : entry)
                std::printf("  %.6f  %s  [%lld, %lld)\n", a.score, a.answer.c_str(), static_cast<long long>(a.start),
                            static_cast<long long>(a.end));
            } else if constexpr (std::is_same_v<R, TextGenerationResult>) {
              for (const auto& g : entry) std::printf("  %s\n", g.generated_text.c_str());
            } else if constexpr (std::is_same_v<R, Text2TextGenerationResult> || std::is_same_v<R, TranslationResult> ||
                                 std::is_same_v<R, SummarizationResult>) {
              for (const auto& text : entry) std::printf("  %s\n", text.c_str());
            } else {
              for (size_t k = 0; k < entry.labels.size(); ++k)
                std::printf("  %-20s %.6f\n", entry.labels[k].c_str(), entry.scores[k]);
            }
          }
        }
      },
      out.result());
}

// Lines of stdin are run in batches of --batch-size and printed as each batch ends, so memory stays flat
// whatever the input's length (issue 11: 100,000 lines in one batch took 24 GB). With --json each input
// line gets one line of output, the JSON that `run TASK --json "that line"` prints (JSON Lines).
constexpr int kDefaultBatchSize = 32;
constexpr int kMaxBatchSize = 4096;

// The library marks inputs cut to the model's length; a person running the CLI is told on stderr.
void warn_truncated(const Output& out, const Pipeline& p, const std::string& what, size_t first) {
  for (size_t i : out.truncated_inputs()) {
    std::fprintf(stderr, "warning: %s %zu was truncated to the model's %zu tokens\n", what.c_str(), first + i,
                 p.max_input_tokens());
  }
}

void print_rows(const std::vector<Output>& rows, const std::vector<std::string>& texts, bool json) {
  for (size_t i = 0; i < rows.size(); ++i) {
    if (json) std::printf("%s\n", rows[i].to_json().c_str());
    else print_human(rows[i], {texts[i]});
  }
  std::fflush(stdout);
}

// Runs one batch of stdin lines; an error names the line it came from (counted from 1).
void run_stdin_batch(Pipeline& p, const std::vector<std::string>& lines, size_t first_line, const CallOptions& options,
                     bool json, bool pad_left) {
  Output out = [&] {
    try {
      return p(lines, options);
    } catch (const InvalidInputError& e) {  // only then tokenize line by line, to name the line
      for (size_t i = 0; i < lines.size(); ++i) {
        try {
          p.token_counts({lines[i]});
        } catch (const InvalidInputError& line_error) {
          throw InvalidInputError("stdin line " + std::to_string(first_line + i) + ": " + line_error.what());
        }
      }
      throw InvalidInputError("stdin lines " + std::to_string(first_line) + ".." +
                              std::to_string(first_line + lines.size() - 1) + ": " + e.what());
    }
  }();
  warn_truncated(out, p, "stdin line", first_line);
  // Token counts are needed only to cut unpooled [batch, padded, hidden] rows to each input's own length.
  const bool unpooled = out.holds<FeatureExtractionResult>() && out.tensor().rank() == 3;
  const std::vector<size_t> tokens = unpooled ? p.token_counts(lines) : std::vector<size_t>(lines.size(), 0);
  print_rows(pipelines::split_rows(out, tokens, pad_left, "run"), lines, json);
}
}  // namespace

int run_command(const Args& args) {
  if (args.positionals().empty()) throw InvalidInputError("run: missing <task>");
  const std::string task = args.positionals()[0];
  const std::vector<std::string> texts(args.positionals().begin() + 1, args.positionals().end());
  // Every option is checked before the model loads.
  const CallOptions options = call_options(args, task);
  const PipelineOptions load = pipeline_options(args);
  const int batch_size = args.get_int("batch-size", kDefaultBatchSize);
  if (batch_size < 1 || batch_size > kMaxBatchSize) {
    throw InvalidInputError("--batch-size must be 1.." + std::to_string(kMaxBatchSize) + ", got " +
                            std::to_string(batch_size));
  }
  const bool json = args.has("json");
  // Pair inputs: --text-pair T2 (each TEXT with it), or question-answering's --question Q --context C.
  PipelineInputs inputs{texts, {}};
  if (args.has("question") || args.has("context")) {
    if (canonical_task(task) != "question-answering") throw InvalidInputError("--question/--context apply to question-answering only");
    if (!texts.empty()) throw InvalidInputError("question-answering takes --question and --context, not TEXT arguments");
    inputs = {{args.require("question")}, {args.require("context")}};
  } else if (canonical_task(task) == "question-answering") {
    throw InvalidInputError("question-answering needs --question Q and --context C");
  }
  if (auto pair = args.get("text-pair")) {
    if (texts.empty()) throw InvalidInputError("--text-pair pairs with TEXT arguments (none given)");
    inputs.text_pairs.assign(texts.size(), *pair);
  }
  if (!inputs.texts.empty()) {  // one call, exactly as the library gives it
    Pipeline p = pipeline(task, args.require("model"), load);
    // --stream: each input's text as it is generated (on stdout; the result follows with --json).
    const Output out = args.has("stream")
                           ? p.stream(inputs, inputs.size() > 1, options,
                                      [&](const StreamChunk& c) {
                                        std::fputs(c.text.c_str(), stdout);
                                        if (c.end) std::fputc('\n', stdout);
                                        std::fflush(stdout);
                                        return true;
                                      })
                           : p.call(inputs, inputs.size() > 1, options);
    if (args.has("stream") && !json) return 0;
    const std::vector<std::string>& texts = inputs.texts;
    warn_truncated(out, p, "input", 1);
    if (json) std::printf("%s\n", out.to_json().c_str());
    else print_human(out, texts);
    return 0;
  }
  Pipeline p = pipeline(task, args.require("model"), load);
  const bool pad_left = pipelines::tokenizer_pads_left(p.model_path());
  std::vector<std::string> batch;
  size_t line_no = 0, first = 1;
  for (std::string line; std::getline(std::cin, line);) {
    if (batch.empty()) first = line_no + 1;
    ++line_no;
    batch.push_back(std::move(line));
    if (batch.size() == static_cast<size_t>(batch_size)) {
      run_stdin_batch(p, batch, first, options, json, pad_left);
      batch.clear();
    }
  }
  if (!batch.empty()) run_stdin_batch(p, batch, first, options, json, pad_left);
  if (line_no == 0) throw InvalidInputError("run: no input text (give TEXT arguments or lines on stdin)");
  return 0;
}

}  // namespace transformers::cli
