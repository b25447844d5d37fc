// tokenizer_config.json (the fuzzed bytes) beside a fixed, valid tokenizer.json (the committed GPT-2-style
// fixture's), then a text encoded with padding and truncation and decoded, and the special tokens read:
// any failure must be a transformers::Error.
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "transformers/error.hpp"
#include "transformers/tokenizer.hpp"

namespace {
const std::string& tokenizer_json() {
  static const std::string json = [] {
    std::ifstream in(TRANSFORMERS_FIXTURES_DIR "/models/tiny-gpt2/tokenizer.json");
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }();
  return json;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view config(reinterpret_cast<const char*>(data), size);
  try {
    const auto tok = transformers::Tokenizer::from_json(tokenizer_json(), config);
    transformers::EncodeOptions o;
    o.padding = transformers::Padding::longest;
    o.truncation = true;
    o.max_length = 8;
    const std::vector<std::string> texts = {"Hello, world! Café 東京 😀", "a"};
    const auto batch = tok.encode_batch(texts, o);
    (void)tok.decode(batch.input_ids, true);
    for (const char* key : {"mask_token", "sep_token", "pad_token", "eos_token"}) (void)tok.special_token_id(key);
  } catch (const transformers::Error&) {
  }
  return 0;
}
