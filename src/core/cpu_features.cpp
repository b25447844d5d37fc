#include "core/cpu_features.hpp"

#include <cpuid.h>

#include <cstdint>

#include "core/hash.hpp"

namespace transformers::core {

namespace {
struct Words {
  unsigned l1c = 0, l1d = 0, l7b = 0, l7c = 0, l7d = 0, l71a = 0;
  uint64_t xcr0 = 0;
};

Words read_words() {
  Words w;
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return w;
  w.l1c = c;
  w.l1d = d;
  if (c & (1u << 27)) {  // OSXSAVE: XGETBV may be used
    unsigned lo, hi;
    __asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    w.xcr0 = (static_cast<uint64_t>(hi) << 32) | lo;
  }
  if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
    w.l7b = b;
    w.l7c = c;
    w.l7d = d;
  }
  if (__get_cpuid_count(7, 1, &a, &b, &c, &d)) w.l71a = a;
  return w;
}
}  // namespace

CpuFeatures cpu_features() {
  const Words w = read_words();
  CpuFeatures f;
  const bool os_avx = (w.xcr0 & 0x6) == 0x6;                 // XMM and YMM state saved by the OS
  const bool os_avx512 = os_avx && (w.xcr0 & 0xE0) == 0xE0;  // opmask, ZMM0-15 upper, ZMM16-31
  if (!os_avx) return f;
  f.avx2 = w.l7b & (1u << 5);
  const bool avx512f = os_avx512 && (w.l7b & (1u << 16));
  f.avx512bw = avx512f && (w.l7b & (1u << 30)) && (w.l7b & (1u << 31));  // BW and VL
  f.avx512_vnni = f.avx512bw && (w.l7c & (1u << 11));
  f.amx_int8 = w.l7d & (1u << 25);
  f.avx_vnni = w.l71a & (1u << 4);
  return f;
}

std::string int8_gemm_path() {
  const CpuFeatures f = cpu_features();
  if (f.avx512_vnni || f.avx_vnni || f.amx_int8) return "exact";
  if (f.avx2 || f.avx512bw) return "saturating";
  return "";
}

std::string cpu_feature_key() {
  const Words w = read_words();
  // Leaf 1 EBX (APIC id, which core asked) is left out on purpose: it differs between cores.
  std::string bytes;
  for (uint64_t v : {uint64_t{w.l1c}, uint64_t{w.l1d}, uint64_t{w.l7b}, uint64_t{w.l7c}, uint64_t{w.l7d},
                     uint64_t{w.l71a}, w.xcr0}) {
    bytes += hex(v, 16);
  }
  return hex(fnv1a(bytes), 16);
}

}  // namespace transformers::core
