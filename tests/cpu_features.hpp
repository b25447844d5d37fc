// What a test needs to know about the CPU it runs on: which of ONNX Runtime's int8 GEMM kernel families
// computes a quantized model's MatMulInteger here (docs/testing.md, "Machine-dependent results").
#pragma once

#include <cpuid.h>

#include <cstdint>
#include <string>

namespace transformers::fixtures {

// Read with CPUID and XGETBV, as ONNX Runtime's MLAS does when it picks its kernels (and as qemu-user
// emulates them, so `qemu-x86_64 -cpu EPYC-Rome` runs a test as on an AVX2 machine; /proc/cpuinfo would
// still describe the host).
struct CpuFeatures {
  bool avx2 = false, avx512bw = false, avx512_vnni = false, avx_vnni = false, amx_int8 = false;
};

inline CpuFeatures cpu_features() {
  CpuFeatures f;
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return f;
  const bool osxsave = c & (1u << 27);
  if (!osxsave) return f;
  unsigned xcr0_lo, xcr0_hi;
  __asm__("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
  const bool os_avx = (xcr0_lo & 0x6) == 0x6;         // XMM and YMM state saved by the OS
  const bool os_avx512 = os_avx && (xcr0_lo & 0xE0) == 0xE0;  // opmask, ZMM0-15 upper, ZMM16-31
  if (!os_avx || !__get_cpuid_count(7, 0, &a, &b, &c, &d)) return f;
  f.avx2 = b & (1u << 5);
  const bool avx512f = os_avx512 && (b & (1u << 16));
  f.avx512bw = avx512f && (b & (1u << 30)) && (b & (1u << 31));  // BW and VL
  f.avx512_vnni = f.avx512bw && (c & (1u << 11));
  f.amx_int8 = d & (1u << 25);
  if (__get_cpuid_count(7, 1, &a, &b, &c, &d)) f.avx_vnni = a & (1u << 4);
  return f;
}

// "exact": AVX-512 VNNI, AVX-VNNI or AMX accumulate u8*s8 products in 32 bits.
// "saturating": AVX2, or AVX-512BW without VNNI, add pairs of products in 16 bits with saturation
// (vpmaddubsw), so the same q8 model gives other numbers (up to 0.13 in a softmax score on the tiny fixture,
// tools/q8_spread/spread.py). "": neither (an SSE4.1-only CPU): no golden was made for its kernel.
// The same rule as tools/golden/pipeline_goldens.mjs and scripts/cpu_info.sh.
inline std::string int8_gemm_path() {
  const CpuFeatures f = cpu_features();
  if (f.avx512_vnni || f.avx_vnni || f.amx_int8) return "exact";
  if (f.avx2 || f.avx512bw) return "saturating";
  return "";
}

}  // namespace transformers::fixtures
