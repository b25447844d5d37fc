// Output: labels or a tensor, and the JSON Transformers.js would print for the same call.
#include <charconv>

#include "transformers/error.hpp"
#include "transformers/pipeline.hpp"

namespace transformers {

Output::Output(Labels labels, bool batched_input, std::optional<int> top_k)
    : value_(std::move(labels)), batched_input_(batched_input), top_k_(top_k) {}
Output::Output(Tensor tensor) : value_(std::move(tensor)) {}

const Output::Labels& Output::labels() const {
  if (!is_labels()) throw InvalidInputError("this output is a tensor, not labels");
  return std::get<Labels>(value_);
}

const Tensor& Output::tensor() const {
  if (!is_tensor()) throw InvalidInputError("this output holds labels, not a tensor");
  return std::get<Tensor>(value_);
}

namespace {
// Shortest text that reads back as the same double: what JSON.stringify prints for a float32 widened.
void append_number(std::string& s, float v) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, static_cast<double>(v));
  s.append(buf, r.ptr);
}

void append_string(std::string& s, const std::string& v) {
  s += '"';
  for (unsigned char c : v) {
    if (c == '"' || c == '\\') {
      s += '\\';
      s += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      s += buf;
    } else {
      s += static_cast<char>(c);
    }
  }
  s += '"';
}

void append_label(std::string& s, const LabelScore& l) {
  s += "{\"label\":";
  append_string(s, l.label);
  s += ",\"score\":";
  append_number(s, l.score);
  s += '}';
}

void append_list(std::string& s, const std::vector<LabelScore>& list) {
  s += '[';
  for (size_t i = 0; i < list.size(); ++i) {
    if (i) s += ',';
    append_label(s, list[i]);
  }
  s += ']';
}
}  // namespace

std::string Output::to_json() const {
  std::string s;
  if (is_tensor()) {
    const Tensor& t = tensor();
    s += "{\"dims\":[";
    for (size_t i = 0; i < t.dims.size(); ++i) {
      if (i) s += ',';
      s += std::to_string(t.dims[i]);
    }
    s += "],\"data\":[";
    for (size_t i = 0; i < t.data.size(); ++i) {
      if (i) s += ',';
      append_number(s, t.data[i]);
    }
    s += "]}";
    return s;
  }
  // Transformers.js: with top_k == 1 the per-input lists are flattened; a single input with top_k != 1
  // returns its own list.
  const Labels& l = labels();
  const bool flatten = top_k_ && *top_k_ == 1;
  if (!batched_input_ && !flatten) {
    append_list(s, l.at(0));
    return s;
  }
  s += '[';
  bool first = true;
  for (const auto& list : l) {
    if (flatten) {
      for (const auto& item : list) {
        if (!first) s += ',';
        first = false;
        append_label(s, item);
      }
    } else {
      if (!first) s += ',';
      first = false;
      append_list(s, list);
    }
  }
  s += ']';
  return s;
}

}  // namespace transformers
