#!/usr/bin/env bash
# Speed/memory comparison: transformers-cpp vs Transformers.js vs bare onnxruntime-node, on one
# model folder, for each size (batch x seq), the three run one after another (interleaved).
#
#   tools/compare/compare.sh --model DIR --task TASK [--runs N] [--threads T]
#                            [--sizes "1x16 1x128 8x128"] [--rounds R] [--json-out FILE]
#
# With --rounds R the whole set runs R times and each figure is the median over the rounds.
#
# TASK: text-classification | feature-extraction. Defaults: --runs 20, --threads = nproc.
# The C++ binary is build/transformers-cpp (override with TRANSFORMERS_CPP=path); if it is missing
# the JS rows are still measured. Prints a markdown table on stdout; progress goes to stderr.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"

model="" task="" runs=20 threads="$(nproc)" sizes="1x16 1x128 8x128" json_out="" rounds=1
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit "${1:-0}"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --model) model="$2"; shift 2 ;;
    --task) task="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --sizes) sizes="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --json-out) json_out="$2"; shift 2 ;;
    -h|--help) usage 0 ;;
    *) echo "compare.sh: unknown argument $1" >&2; usage 2 >&2 ;;
  esac
done
[ -n "$model" ] && [ -n "$task" ] || { echo "compare.sh: --model and --task are required" >&2; usage 2 >&2; }
[ -f "$model/onnx/model.onnx" ] || { echo "compare.sh: $model/onnx/model.onnx not found" >&2; exit 2; }
model="$(cd "$model" && pwd)"

cpp="${TRANSFORMERS_CPP:-$repo/build/transformers-cpp}"
if [ ! -x "$cpp" ]; then
  cat >&2 <<EOF
compare.sh: C++ binary $cpp not found; build it with
    scripts/build.sh            (or: cmake -S . -B build -DCMAKE_BUILD_TYPE=Release && cmake --build build -j)
Measuring only Transformers.js and onnxruntime-node this time.
EOF
  cpp=""
fi
if [ ! -d "$repo/tools/node/node_modules/@huggingface/transformers" ]; then
  echo "compare.sh: Transformers.js missing: (cd tools/node && npm ci)" >&2; exit 2
fi

results="$(mktemp -d)"
trap 'rm -rf "$results"' EXIT
bench_js=(node --expose-gc "$repo/tools/compare/bench_transformersjs.mjs" --task "$task" --model "$model" --runs "$runs" --threads "$threads")

n=0
run() {  # label command...: keeps the command's stdout (its JSON object, possibly after log lines)
  local label=$1; shift
  echo "[compare] $label" >&2
  n=$((n + 1))
  "$@" > "$results/$(printf %03d $n).out" || { echo "[compare] $label failed" >&2; rm -f "$results/$(printf %03d $n).out"; }
}

for round in $(seq "$rounds"); do
for size in $sizes; do
  b="${size%x*}" s="${size#*x}"
  [ -n "$cpp" ] && run "transformers-cpp ${size}" "$cpp" bench "$task" --model "$model" --batch "$b" --seq "$s" --runs "$runs" --threads "$threads" --json
  run "transformers.js ${size}" "${bench_js[@]}" --batch "$b" --seq "$s"
  run "onnxruntime-node ${size}" "${bench_js[@]}" --batch "$b" --seq "$s" --raw
done
done

node - "$results" "$task" "$model" "$runs" "$threads" "$json_out" "$rounds" <<'EOF'
const fs = require('fs');
const path = require('path');
const [dir, task, model, runs, threads, jsonOut, rounds] = process.argv.slice(2);
const all = [];
for (const f of fs.readdirSync(dir).sort()) {
  const text = fs.readFileSync(path.join(dir, f), 'utf8');
  // The last JSON object in the output: from the last line that starts with '{' to the end.
  const nl = text.lastIndexOf('\n{');
  const start = nl >= 0 ? nl + 1 : text.startsWith('{') ? 0 : -1;
  try {
    if (start < 0) throw new Error('no JSON object');
    all.push(JSON.parse(text.slice(start)));
  } catch (e) {
    console.error(`[compare] unreadable bench output ${f}: ${e.message}`);
  }
}
if (jsonOut) fs.writeFileSync(jsonOut, all.map((r) => JSON.stringify(r)).join('\n') + '\n');
// One row per (size, impl): the median of each figure over the rounds (the machine is noisy).
const median = (xs) => {
  const v = xs.filter((x) => typeof x === 'number').sort((a, b) => a - b);
  if (!v.length) return undefined;
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};
const rows = [];
for (const r of all) {
  const key = `${r.batch}x${r.seq}|${r.impl}`;
  if (rows.some((x) => x.key === key)) continue;
  const same = all.filter((x) => `${x.batch}x${x.seq}|${x.impl}` === key);
  const agg = { key, impl: r.impl, batch: r.batch, seq: r.seq, rss_mib: {} };
  for (const k of ['p50_ms', 'p90_ms', 'seqs_per_s', 'load_ms', 'first_run_ms']) agg[k] = median(same.map((x) => x[k]));
  for (const k of ['before_load', 'after_load', 'after_runs', 'after_dispose'])
    agg.rss_mib[k] = median(same.map((x) => x.rss_mib?.[k]));
  rows.push(agg);
}
const f = (x, d = 2) => (typeof x === 'number' && isFinite(x) ? x.toFixed(d) : 'n/a');
const sizes = [...new Set(rows.map((r) => `${r.batch}x${r.seq}`))];
const out = [];
out.push(`**${task}** on \`${model}\` — ${runs} timed runs, ${threads} intra-op thread(s); medians over ${rounds} interleaved round(s)`, '');
out.push('| size | impl | p50 ms | p90 ms | seq/s | load ms | first run ms | RSS MiB before load / after load / after runs / after dispose |');
out.push('|---|---|---:|---:|---:|---:|---:|---|');
for (const r of rows) {
  const m = r.rss_mib ?? {};
  out.push(`| ${r.batch}x${r.seq} | ${r.impl} | ${f(r.p50_ms, 3)} | ${f(r.p90_ms, 3)} | ${f(r.seqs_per_s, 1)} | ${f(r.load_ms, 1)} | ` +
           `${f(r.first_run_ms, 2)} | ${[m.before_load, m.after_load, m.after_runs, m.after_dispose].map((x) => f(x, 1)).join(' / ')} |`);
}
out.push('', '| size | p50 Transformers.js / p50 transformers-cpp | p50 transformers-cpp / p50 raw ORT | p50 Transformers.js / p50 raw ORT |');
out.push('|---|---:|---:|---:|');
for (const s of sizes) {
  const p = (impl) => rows.find((r) => `${r.batch}x${r.seq}` === s && r.impl === impl)?.p50_ms;
  const cpp = p('transformers-cpp'), js = p('transformers.js'), raw = p('onnxruntime-node');
  out.push(`| ${s} | ${f(js / cpp)} | ${f(cpp / raw)} | ${f(js / raw)} |`);
}
console.log(out.join('\n'));
EOF
