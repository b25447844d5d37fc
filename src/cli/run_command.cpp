// `transformers-cpp run`: one pipeline call on texts from the command line or stdin.
#include <cstdio>
#include <iostream>

#include "cli/args.hpp"
#include "cli/options.hpp"
#include "transformers/error.hpp"
#include "transformers/pipeline.hpp"

namespace transformers::cli {

namespace {
void print_human(const Output& out, const std::vector<std::string>& texts) {
  if (out.is_labels()) {
    const auto& labels = out.labels();
    for (size_t i = 0; i < labels.size(); ++i) {
      std::printf("%s\n", texts[i].c_str());
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
}  // namespace

int run_command(const Args& args) {
  if (args.positionals().empty()) throw InvalidInputError("run: missing <task>");
  const std::string task = args.positionals()[0];
  std::vector<std::string> texts(args.positionals().begin() + 1, args.positionals().end());
  if (texts.empty()) {
    for (std::string line; std::getline(std::cin, line);) texts.push_back(line);
    if (texts.empty()) throw InvalidInputError("run: no input text (give TEXT arguments or lines on stdin)");
  }
  Pipeline p = pipeline(task, args.require("model"), pipeline_options(args));
  const CallOptions options = call_options(args);
  const Output out = texts.size() == 1 ? p(texts[0], options) : p(texts, options);
  if (args.has("json")) std::printf("%s\n", out.to_json().c_str());
  else print_human(out, texts);
  return 0;
}

}  // namespace transformers::cli
