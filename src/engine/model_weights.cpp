#include "engine/model_weights.hpp"

namespace transformers::engine {

PreparedModel prepare_model(const std::filesystem::path& model_file, const SessionOptions&) {
  PreparedModel m;
  m.path = model_file;
  return m;
}

}  // namespace transformers::engine
