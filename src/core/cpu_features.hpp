// What the CPU offers that changes ONNX Runtime's kernels: the int8 GEMM family (tests pick their
// quantized goldens by it, docs/testing.md) and the instruction sets an optimized model written by ONNX
// Runtime may depend on (the optimized-model cache keys its entries by them, docs/performance.md).
// Read with CPUID and XGETBV, as ONNX Runtime's MLAS does (and as qemu-user emulates them).
#pragma once

#include <string>

namespace transformers::core {

struct CpuFeatures {
  bool avx2 = false, avx512bw = false, avx512_vnni = false, avx_vnni = false, amx_int8 = false;
};
CpuFeatures cpu_features();

// "exact": AVX-512 VNNI, AVX-VNNI or AMX accumulate u8*s8 products in 32 bits.
// "saturating": AVX2, or AVX-512BW without VNNI, add pairs of products in 16 bits with saturation
// (vpmaddubsw), so the same q8 model gives other numbers. "": neither (an SSE4.1-only CPU).
std::string int8_gemm_path();

// The CPUID feature words (leaf 1 ECX/EDX, leaf 7 EBX/ECX/EDX, leaf 7.1 EAX) masked by what the OS saves
// (XCR0), as hex: equal on CPUs that run the same kernels.
std::string cpu_feature_key();

}  // namespace transformers::core
