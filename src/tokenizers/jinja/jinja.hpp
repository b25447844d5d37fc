// A Jinja template engine that renders chat templates exactly as @huggingface/jinja 0.5.10 does (the copy
// Transformers.js 4.3.1 bundles in its dist files; tools/node's separately installed 0.5.11 differs in
// four details, docs/chat-templates.md): the same preprocessing (lstrip_blocks, trim_blocks,
// {% generation %}), grammar, scoping, filters, tests, string methods and output formatting, including
// where it differs from Python Jinja (str.strip(chars) ignores its argument; `not []` is false; floats
// print as "1.0" but tojson as 1; ...). docs/chat-templates.md lists what is supported and the known
// differences.
//
//   transformers::jinja::Template t("{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}");
//   std::string text = t.render(nlohmann::ordered_json{{"messages", messages}});
//
// Errors are transformers::InvalidInputError: a syntax error names the line and column and what was
// expected; a rendering failure carries the message @huggingface/jinja gives (raise_exception's own text,
// verbatim, for templates that reject their input), plus where in the template it happened.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace transformers::jinja {

// Bounds on one render, so that no template can hang, exhaust memory or overflow the stack.
struct RenderLimits {
  size_t max_output_bytes = size_t{64} << 20;  // the rendered text, and any one string or JSON text
  size_t max_memory_bytes = size_t{1} << 30;   // strings, lists and mappings alive at once
  size_t max_list_items = size_t{1} << 22;     // any one list (range(), list concatenation)
  uint64_t max_steps = 20'000'000;             // evaluation steps (about 5 s), plus one per 256 bytes of text built
  size_t max_call_depth = 500;                 // nested macro / caller() calls
  size_t max_stack_bytes = size_t{2} << 20;    // stack the interpreter may use below render()'s frame
};

struct Program;

class Template {
 public:
  // Parses `source`; throws InvalidInputError naming the line and column of a syntax error.
  explicit Template(std::string_view source);
  ~Template();
  Template(Template&&) noexcept;
  Template& operator=(Template&&) noexcept;

  // Renders with `context`'s top-level keys as variables (a JSON object; names such as `true`, `range`
  // or `namespace` are taken by the globals and refused, as @huggingface/jinja refuses them). Object key
  // order is kept: nlohmann::ordered_json gives the order JavaScript would see; nlohmann::json sorts keys.
  // Thread-safe: a Template can render on many threads at once.
  std::string render(const nlohmann::ordered_json& context, const RenderLimits& limits = {}) const;
  std::string render(const nlohmann::json& context, const RenderLimits& limits = {}) const;

  const std::string& source() const { return source_; }

 private:
  std::string source_;
  std::unique_ptr<Program> program_;
};

}  // namespace transformers::jinja
