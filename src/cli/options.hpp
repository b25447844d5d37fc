// Pipeline and call options from command-line flags, shared by run and bench.
#pragma once

#include "cli/args.hpp"
#include "transformers/engine.hpp"
#include "transformers/error.hpp"
#include "transformers/pipeline.hpp"

namespace transformers::cli {

inline PipelineOptions pipeline_options(const Args& args) {
  PipelineOptions o;
  o.dtype = args.get("dtype").value_or("auto");
  o.model_file_name = args.get("model-file-name").value_or("model");
  o.session.intra_op_threads = args.get_int("threads", 0);
  check_intra_op_threads(o.session.intra_op_threads, "--threads");  // before the model loads
  o.session.prepack_weights = !args.has("no-prepack");  // default: prepacked, from the optimized-model cache
  return o;
}

inline Pooling parse_pooling(const std::string& s) {
  if (s == "none") return Pooling::none;
  if (s == "mean") return Pooling::mean;
  if (s == "cls" || s == "first_token") return Pooling::cls;
  if (s == "last_token" || s == "eos") return Pooling::last_token;
  throw InvalidInputError("--pooling must be none, mean, cls (first_token) or last_token (eos), got '" + s + "'");
}

// An option that means nothing for the task is an error naming it, not silently ignored.
inline void refuse_for_task(const Args& args, const std::string& task, std::initializer_list<const char*> flags) {
  for (const char* f : flags)
    if (args.has(f)) throw InvalidInputError("--" + std::string(f) + " does not apply to " + canonical_task(task));
}

inline CallOptions call_options(const Args& args, const std::string& task) {
  const std::string t = canonical_task(task);  // throws for an unknown task, listing the known ones
  if (t == "text-classification") refuse_for_task(args, task, {"pooling", "normalize"});
  if (t == "feature-extraction") refuse_for_task(args, task, {"top-k", "function-to-apply"});
  CallOptions o;
  if (auto k = args.get("top-k")) {
    if (*k == "all") o.top_k = std::nullopt;
    else o.top_k = args.get_int("top-k", 1);
  }
  if (auto f = args.get("function-to-apply")) {
    if (*f == "softmax") o.function_to_apply = FunctionToApply::softmax;
    else if (*f == "sigmoid") o.function_to_apply = FunctionToApply::sigmoid;
    else if (*f == "none") o.function_to_apply = FunctionToApply::none;
    else throw InvalidInputError("--function-to-apply must be softmax, sigmoid or none, got '" + *f + "'");
  }
  if (auto p = args.get("pooling")) o.pooling = parse_pooling(*p);
  o.normalize = args.has("normalize");
  return o;
}

}  // namespace transformers::cli
