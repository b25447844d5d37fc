// Task options from JSON (what the CLI builds from flags and the server will take from a request body):
// the first byte picks the task, the rest is the JSON. A bad document must be an InvalidInputError, and
// options that parse must survive the codec's round trip unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "transformers/error.hpp"
#include "transformers/pipeline.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const std::vector<std::string> tasks = transformers::supported_tasks();
  const std::string& task = tasks[data[0] % tasks.size()];
  const std::string json(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    const transformers::CallOptions options = transformers::call_options_from_json(task, json);
    const transformers::CallOptions again = transformers::call_options_from_json(task, transformers::call_options_to_json(options));
    if (!(again == options)) std::abort();  // the codec lost or changed a field
  } catch (const transformers::InvalidInputError&) {
  }
  return 0;
}
