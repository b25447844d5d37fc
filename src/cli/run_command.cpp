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
void print_human(const Output& out, const std::vector<std::string>& texts) {
  if (out.is_labels()) {
    const auto& labels = out.labels();
    for (size_t i = 0; i < labels.size(); ++i) {
      std::fwrite(texts[i].data(), 1, texts[i].size(), stdout);  // a NUL byte in the text is printed too
      std::fputc('\n', stdout);
      for (const auto& l : labels[i]) std::printf("  %-20s %.6f\n", l.label.c_str(), l.score);
    }
    return;
  }
  const Tensor& t = out.tensor();
  std::printf("tensor %s float32\n", t.dims_string().c_str());
  const size_t width = t.dims.empty() ? 0 : static_cast<size_t>(t.dims.back());
  for (size_t off = 0, row = 0; off < t.data.size() && width > 0; off += width, ++row) {
    std::printf("  [%zu] ", row);
    for (size_t k = 0; k < width && k < 6; ++k) std::printf("% .5f ", t.data[off + k]);
    if (width > 6) std::printf("... (%zu values)", width);
    std::printf("\n");
  }
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
  const bool unpooled = out.is_tensor() && out.tensor().rank() == 3;
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
  if (!texts.empty()) {  // one call, exactly as the library gives it
    Pipeline p = pipeline(task, args.require("model"), load);
    const Output out = texts.size() == 1 ? p(texts[0], options) : p(texts, options);
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
