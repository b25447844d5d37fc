#pragma once
// The expected output of a golden case on this CPU: "output", or for a quantized case the entry of
// "int8_outputs" for this CPU's int8 GEMM path (docs/testing.md). nullptr when this CPU has no entry.
#include <nlohmann/json.hpp>

#include "core/cpu_features.hpp"

namespace transformers::fixtures {

inline constexpr const char* kNoInt8Golden =
    "no golden for this CPU's int8 GEMM kernel: CPUID shows neither AVX-512 VNNI, AVX-VNNI, AMX nor AVX2";

inline const nlohmann::json* expected_on_this_cpu(const nlohmann::json& c) {
  if (!c.contains("int8_outputs")) return c.contains("output") ? &c["output"] : nullptr;
  static const std::string path = core::int8_gemm_path();
  const auto& by_path = c["int8_outputs"];
  return !path.empty() && by_path.contains(path) ? &by_path[path] : nullptr;
}

}  // namespace transformers::fixtures
