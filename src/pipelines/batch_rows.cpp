#include "pipelines/batch_rows.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "core/files.hpp"
#include "core/json_fields.hpp"
#include "transformers/error.hpp"
#include "transformers/model_folder.hpp"

namespace transformers::pipelines {

void normalize_row(float* row, size_t width) {
  double norm = 0;
  for (size_t k = 0; k < width; ++k) norm += static_cast<double>(row[k]) * row[k];
  norm = std::sqrt(norm);
  for (size_t k = 0; k < width; ++k) row[k] = static_cast<float>(row[k] / norm);
}

bool tokenizer_pads_left(const std::filesystem::path& model) {
  const std::filesystem::path config = ModelFolder(model).tokenizer_config_json();
  std::error_code ec;
  if (!std::filesystem::exists(config, ec)) return false;
  const core::JsonSource source(config.string());
  const core::Json json = core::parse_json(core::read_text_file(config, "tokenizer config"), source);
  const auto side = core::Fields(json, source, "").optional_string("padding_side");
  return side && *side != "right";
}

namespace {
std::vector<Output> split_rows_of(const Output& out, const std::vector<size_t>& tokens, bool pad_left, const char* who);
}  // namespace

std::vector<Output> split_rows(const Output& out, const std::vector<size_t>& tokens, bool pad_left, const char* who) {
  std::vector<Output> rows = split_rows_of(out, tokens, pad_left, who);
  for (size_t i : out.truncated_inputs())
    if (i < rows.size()) rows[i].set_truncated_inputs({0});
  return rows;
}

namespace {
std::vector<Output> split_rows_of(const Output& out, const std::vector<size_t>& tokens, bool pad_left, const char* who) {
  const size_t n = tokens.size();
  std::vector<Output> results;
  results.reserve(n);
  if (out.is_labels()) {
    const Output::Labels& labels = out.labels();
    if (labels.size() != n) {
      throw Error(std::string(who) + ": the pipeline returned " + std::to_string(labels.size()) +
                  " label lists for " + std::to_string(n) + " inputs");
    }
    for (size_t i = 0; i < n; ++i) results.emplace_back(Output::Labels{labels[i]}, false, out.top_k());
    return results;
  }
  const Tensor& t = out.tensor();
  if ((t.rank() != 2 && t.rank() != 3) || t.dims[0] != static_cast<int64_t>(n)) {
    throw Error(std::string(who) + ": the pipeline returned a tensor of shape " + t.dims_string() + " for " +
                std::to_string(n) + " inputs");
  }
  const size_t width = static_cast<size_t>(t.dims.back());
  if (t.rank() == 2) {
    for (size_t i = 0; i < n; ++i) {
      results.emplace_back(
          Tensor{{1, static_cast<int64_t>(width)}, {t.data.begin() + i * width, t.data.begin() + (i + 1) * width}});
    }
    return results;
  }
  const size_t seq = static_cast<size_t>(t.dims[1]);
  const size_t padded_len = n ? *std::max_element(tokens.begin(), tokens.end()) : 0;
  if (seq != padded_len) {
    throw Error(std::string(who) + ": the pipeline returned " + std::to_string(seq) +
                " positions for inputs padded to " + std::to_string(padded_len) +
                " tokens (token_counts and run disagree)");
  }
  for (size_t i = 0; i < n; ++i) {
    const size_t own = tokens[i];
    const size_t first = pad_left ? seq - own : 0;  // where its own tokens start
    const float* base = t.data.data() + i * seq * width;
    results.emplace_back(Tensor{{1, static_cast<int64_t>(own), static_cast<int64_t>(width)},
                                {base + first * width, base + (first + own) * width}});
  }
  return results;
}
}  // namespace

}  // namespace transformers::pipelines
