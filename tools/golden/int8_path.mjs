// Which int8 GEMM kernel ONNX Runtime (MLAS) runs on this CPU, by the same rule as
// src/core/cpu_features.cpp int8_gemm_path(): VNNI/AMX accumulate u8*s8 exactly ("exact"), AVX2 and
// AVX-512BW without VNNI sum pairs of products with 16-bit saturation ("saturating"). q8 goldens are
// keyed by it (docs/testing.md). Under qemu-user /proc/cpuinfo is the host's, so an emulated run says its
// path with --int8-path=P.
import fs from 'node:fs';

export const INT8_PATHS = ['exact', 'saturating'];

export function detectedInt8Path() {
  const line = fs.readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('flags'));
  const flags = new Set((line || '').split(':')[1]?.trim().split(/\s+/) ?? []);
  if ((flags.has('avx512_vnni') && flags.has('avx512bw') && flags.has('avx512vl')) || flags.has('avx_vnni') ||
      flags.has('amx_int8')) return 'exact';
  if (flags.has('avx2') || flags.has('avx512bw')) return 'saturating';
  throw new Error('this CPU has neither AVX2 nor VNNI: its int8 kernel has no golden entry (docs/testing.md)');
}

// --int8-path=P from the command line, else this CPU's path.
export function int8PathFromArgs(argv) {
  const arg = argv.find((a) => a.startsWith('--int8-path='));
  const p = arg ? arg.split('=')[1] : detectedInt8Path();
  if (!INT8_PATHS.includes(p)) throw new Error(`--int8-path: exact or saturating, got ${p}`);
  return p;
}
