// tokenizer.json (the fuzzed bytes) loaded, then a fixed text encoded and decoded: any failure must be a
// transformers::Error, never a crash, a hang or a sanitizer report.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "transformers/error.hpp"
#include "transformers/tokenizer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view json(reinterpret_cast<const char*>(data), size);
  try {
    const auto tok = transformers::Tokenizer::from_json(json, "");
    for (std::string_view text : {"Hello, world! Café 東京 😀", "", "a b  c"}) {
      const auto e = tok.encode(text);
      (void)tok.decode(e.ids, false);
    }
  } catch (const transformers::Error&) {
  }
  return 0;
}
