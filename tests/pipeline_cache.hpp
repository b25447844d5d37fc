// Golden tests run many cases per model: one pipeline per (task, model folder) for the whole test binary.
#pragma once

#include <map>
#include <string>

#include "test_support.hpp"
#include "transformers/pipeline.hpp"

namespace transformers::fixtures {

// The committed fixture `model` (a folder name under fixtures/models) loaded for `task` once.
inline Pipeline& cached_pipeline(const std::string& task, const std::string& model) {
  static std::map<std::string, Pipeline> pipelines;
  const std::string key = task + "|" + model;
  auto it = pipelines.find(key);
  if (it == pipelines.end()) it = pipelines.emplace(key, pipeline(task, fixtures::model(model.c_str()))).first;
  return it->second;
}

}  // namespace transformers::fixtures
