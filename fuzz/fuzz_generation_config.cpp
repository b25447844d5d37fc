// generation_config.json (the fuzzed bytes) merged as the generation pipelines merge it, then the pipelines'
// default call: a bad file is a ModelLoadError, a value out of range an InvalidInputError, nothing else.
#include <cstddef>
#include <cstdint>
#include <string>

#include "generation/generation_config.hpp"
#include "transformers/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const std::string text(reinterpret_cast<const char*>(data), size);
    auto g = transformers::generation::model_generation_config_from_text("{\"model_type\": \"gpt2\"}", text);
    (void)transformers::generation::with_call_options(g, {});
  } catch (const transformers::Error&) {
  }
  return 0;
}
