// A chat template (the fuzzed bytes) parsed and rendered over a fixed conversation, as text-generation renders
// chats: a template that does not parse or fails to render must be an InvalidInputError, never a crash, a
// hang or unbounded memory (the engine's RenderLimits).
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "tokenizers/chat_template.hpp"
#include "transformers/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const nlohmann::ordered_json messages = nlohmann::ordered_json::parse(
      R"([{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hello \u00e9!"},
          {"role": "assistant", "content": "Hi."}, {"role": "user", "content": "Again"}])");
  transformers::ChatTemplateOptions options;
  options.add_generation_prompt = true;
  options.bos_token = "<s>";
  options.eos_token = "</s>";
  options.limits.max_steps = 200000;  // a fuzz input gets a small budget: no timeouts
  options.limits.max_output_bytes = 1 << 20;
  options.limits.max_memory_bytes = 64 << 20;
  try {
    (void)transformers::apply_chat_template(std::string(reinterpret_cast<const char*>(data), size), messages, options);
  } catch (const transformers::Error&) {
  }
  return 0;
}
