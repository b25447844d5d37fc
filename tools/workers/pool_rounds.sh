#!/usr/bin/env bash
# Pool throughput in interleaved rounds: runs bench/workers/pool_bench ROUNDS times (each round runs every
# configuration once per repetition, in random order), then prints the median items/s per configuration.
#   tools/workers/pool_rounds.sh [BUILD_DIR=build] [ROUNDS=3] [extra pool_bench flags...]
# Model: TRANSFORMERS_BENCH_MODEL (default models/minilm-sized-classifier).
set -euo pipefail
build=${1:-build}
rounds=${2:-3}
shift $(( $# < 2 ? $# : 2 ))
bench="$build/bench/pool_bench"
[[ -x "$bench" ]] || { echo "no $bench: build first (cmake --build $build --target pool_bench)" >&2; exit 2; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for r in $(seq 1 "$rounds"); do
  echo "round $r/$rounds (load average: $(cut -d' ' -f1-3 /proc/loadavg))" >&2
  "$bench" --benchmark_min_time=0.5 --benchmark_repetitions=1 --benchmark_enable_random_interleaving=true \
    --benchmark_format=json "$@" > "$out/round$r.json"
done
python3 - "$out"/round*.json <<'PY'
import collections, json, statistics, sys
rates = collections.defaultdict(list)
for f in sys.argv[1:]:
    for b in json.load(open(f))["benchmarks"]:
        if b.get("run_type") == "iteration":
            rates[b["run_name"].replace("/real_time", "")].append(b["items_per_second"])
print(f"{'benchmark (workers/threads/burst/recycle)':44s} {'median calls/s':>15s}  rounds")
for name in sorted(rates):
    v = rates[name]
    print(f"{name:44s} {statistics.median(v):15.1f}  {' '.join(f'{x:.1f}' for x in v)}")
PY
