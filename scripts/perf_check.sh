#!/usr/bin/env bash
# The speed check to run after any change to the engine, the memory layer or a pipeline (docs/performance.md):
# the whole text-classification pipeline against raw ONNX Runtime (same library, same process, prepacking on
# its side) on the MiniLM-sized model at 1x16, 1x128 and 8x128, in interleaved rounds; prints the medians
# and the pipeline / raw ratio of each size. Builds what it needs; makes the model if missing. ~1-2 minutes.
#   scripts/perf_check.sh [ROUNDS]        (default 5)      PERF_MODEL=DIR to use another classifier
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
model=${PERF_MODEL:-models/minilm-sized-classifier}
[ -x build/bench/engine_bench ] || bash scripts/build.sh >/dev/null
[ -f "$model/onnx/model.onnx" ] || bash scripts/make_bench_models.sh --only "$(basename "$model")" >/dev/null
cpu=$(bash scripts/cpu_info.sh); echo "${cpu%%$'\n'*}"
sizes=("1 16" "1 128" "8 128")
results=$(mktemp)
trap 'rm -f "$results"' EXIT
# One warm-up run creates the optimized-model cache entry, so no round pays for it.
BENCH_MODEL=$model build/bench/engine_bench --benchmark_filter="^BM_Pipeline/" --benchmark_min_time=0.05 >/dev/null 2>&1
for ((r = 1; r <= rounds; ++r)); do
  for size in "${sizes[@]}"; do
    read -r b s <<<"$size"
    for bm in BM_RawOnnxRuntime BM_Pipeline; do
      BENCH_MODEL=$model BENCH_BATCH=$b BENCH_SEQ=$s build/bench/engine_bench --benchmark_filter="^$bm/" \
        --benchmark_min_time=0.3 --benchmark_format=csv 2>/dev/null |
        awk -F, -v b="$b" -v s="$s" -v bm="$bm" 'NR > 1 && $1 ~ bm { print b "x" s, bm, $3 }' >>"$results"
    done
  done
done
echo "model $model, $rounds interleaved rounds, real time per call (us), medians"
printf '%-8s %12s %12s %8s\n' size raw_ort pipeline ratio
for size in "${sizes[@]}"; do
  read -r b s <<<"$size"
  key="${b}x${s}"
  raw=$(awk -v k="$key" '$1 == k && $2 ~ /Raw/ { print $3 }' "$results" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
  pipe=$(awk -v k="$key" '$1 == k && $2 ~ /Pipeline/ { print $3 }' "$results" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
  awk -v k="$key" -v r="$raw" -v p="$pipe" 'BEGIN { printf "%-8s %12.1f %12.1f %8.3f\n", k, r, p, p / r }'
done
