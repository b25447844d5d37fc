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

[[noreturn]] void count_mismatch(const char* who, size_t got, size_t n) {
  throw Error(std::string(who) + ": the pipeline returned " + std::to_string(got) + " results for " +
              std::to_string(n) + " inputs");
}

std::vector<Output> split_tensor(const Tensor& t, const std::vector<size_t>& tokens, bool pad_left, const char* who) {
  const size_t n = tokens.size();
  std::vector<Output> results;
  results.reserve(n);
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

std::vector<Output> split_of(const Output& out, const std::vector<size_t>& tokens, bool pad_left, const char* who) {
  return std::visit(
      [&](const auto& r) -> std::vector<Output> {
        using R = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<R, FeatureExtractionResult>) {
          return split_tensor(r.tensor, tokens, pad_left, who);
        } else {
          if (r.inputs.size() != tokens.size()) count_mismatch(who, r.inputs.size(), tokens.size());
          std::vector<Output> rows;
          rows.reserve(r.inputs.size());
          for (const auto& entry : r.inputs) {
            R one = r;  // the shape fields (top_k, ...) with this input's entry only
            one.inputs.clear();
            one.inputs.push_back(entry);
            rows.emplace_back(TaskResult(std::move(one)), false);
          }
          return rows;
        }
      },
      out.result());
}

}  // namespace

std::vector<Output> split_rows(const Output& out, const std::vector<size_t>& tokens, bool pad_left, const char* who) {
  std::vector<Output> rows = split_of(out, tokens, pad_left, who);
  for (size_t i : out.truncated_inputs())
    if (i < rows.size()) rows[i].set_truncated_inputs({0});
  return rows;
}

Output merge_rows(std::vector<Output>& parts, const std::vector<size_t>& firsts, const char* who) {
  if (parts.empty()) throw Error(std::string(who) + ": nothing to merge");
  std::vector<size_t> truncated;
  for (size_t c = 0; c < parts.size(); ++c)
    for (size_t i : parts[c].truncated_inputs()) truncated.push_back(firsts[c] + i);
  Output out = std::visit(
      [&](const auto& first) -> Output {
        using R = std::decay_t<decltype(first)>;
        R all = first;
        if constexpr (std::is_same_v<R, FeatureExtractionResult>) {
          Tensor& t = all.tensor;
          for (size_t c = 1; c < parts.size(); ++c) {
            const Tensor& p = parts[c].get<R>().tensor;
            if (p.rank() != 2 || t.rank() != 2 || p.dims[1] != t.dims[1])
              throw Error(std::string(who) + ": a chunk returned shape " + p.dims_string() + ", expected [n, " +
                          std::to_string(t.dims.back()) + "]");
            t.dims[0] += p.dims[0];
            t.data.insert(t.data.end(), p.data.begin(), p.data.end());
          }
        } else {
          for (size_t c = 1; c < parts.size(); ++c) {
            auto& more = parts[c].get<R>().inputs;
            all.inputs.insert(all.inputs.end(), more.begin(), more.end());
          }
        }
        return Output(TaskResult(std::move(all)), true);
      },
      parts.front().result());
  out.set_truncated_inputs(std::move(truncated));
  return out;
}

CallOptions batch_options(const CallOptions& requested) {
  const auto* fe = std::get_if<FeatureExtractionOptions>(&requested);
  if (!fe || fe->pooling != Pooling::last_token) return requested;
  return FeatureExtractionOptions{Pooling::none, false};
}

std::vector<Output> split_batch(const Output& out, const std::vector<size_t>& tokens, bool pad_left,
                                const CallOptions& requested, const char* who) {
  std::vector<Output> rows = split_rows(out, tokens, pad_left, who);
  const auto* fe = std::get_if<FeatureExtractionOptions>(&requested);
  if (!fe || !out.is_tensor()) return rows;
  const bool positional = fe->pooling == Pooling::last_token;
  const size_t width = static_cast<size_t>(out.tensor().dims.back());
  if (out.tensor().rank() == 2) {
    // An already pooled graph output ignores pooling; normalize is ours if we asked for none.
    if (positional && fe->normalize) {
      for (Output& r : rows) {
        Tensor row = r.tensor();
        normalize_row(row.data.data(), width);
        r = Output(std::move(row));
      }
    }
    return rows;
  }
  if (!positional) return rows;
  for (size_t i = 0; i < rows.size(); ++i) {  // last_token, on the unpadded positions
    if (tokens[i] == 0) throw InvalidInputError(std::string(who) + ": an input of no tokens has no last token");
    const Tensor& own = rows[i].tensor();
    Tensor row{{1, static_cast<int64_t>(width)}, {own.data.end() - static_cast<std::ptrdiff_t>(width), own.data.end()}};
    if (fe->normalize) normalize_row(row.data.data(), width);
    std::vector<size_t> truncated = rows[i].truncated_inputs();
    rows[i] = Output(std::move(row));
    rows[i].set_truncated_inputs(std::move(truncated));
  }
  return rows;
}

}  // namespace transformers::pipelines
