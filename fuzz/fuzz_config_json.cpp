// config.json (the fuzzed bytes) read as the pipelines read it; a bad file must be a ModelLoadError.
#include <cstddef>
#include <cstdint>
#include <string>

#include "transformers/error.hpp"
#include "transformers/model_folder.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const auto c = transformers::ModelConfig::from_json(std::string(reinterpret_cast<const char*>(data), size));
    (void)c.label(0);
  } catch (const transformers::Error&) {
  }
  return 0;
}
