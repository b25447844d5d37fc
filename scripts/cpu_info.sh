#!/usr/bin/env bash
# Prints the CPU model, core count and the instruction sets that change ONNX Runtime's kernels
# (int8 GEMM: VNNI/AMX accumulate exactly, AVX2/AVX-512BW without VNNI saturate u8*s8 pairs in 16 bits),
# so a test failure on another machine can be read (docs/testing.md).
set -euo pipefail
model=$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
flags=$(grep -m1 '^flags' /proc/cpuinfo | cut -d: -f2-)
relevant=()
for f in sse4_1 avx fma avx2 avx512f avx512bw avx512vl avx512_vnni avx_vnni avx512_bf16 amx_tile amx_int8 f16c; do
  case " $flags " in *" $f "*) relevant+=("$f") ;; esac
done
int8_path="saturating u8s8 (no VNNI/AMX)"
case " ${relevant[*]} " in *" avx512_vnni "*|*" avx_vnni "*|*" amx_int8 "*) int8_path="exact (VNNI/AMX)" ;; esac
echo "cpu: ${model:-unknown}; cores: $(nproc)"
echo "cpu flags: ${relevant[*]:-none of the listed}"
echo "int8 GEMM path expected: $int8_path"
# Not the CPU, but read beside it when an RSS test fails: huge pages change RSS in 2 MiB steps.
echo "kernel: $(uname -r); transparent huge pages: $(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null || echo unknown)"
