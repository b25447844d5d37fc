#!/usr/bin/env bash
# Memory comparison: transformers-cpp vs Transformers.js vs bare onnxruntime-node on one model folder,
# the three run one after another (interleaved over --rounds; each figure is the median over rounds).
#
#   tools/compare/memory_compare.sh --model DIR [--then DIR2] [--cycles 20] [--threads T]
#                                   [--task text-classification] [--rounds R] [--policy P]
#                                   [--wait-ms 2000] [--cycle-wait-ms 100] [--json-out FILE]
#
# transformers-cpp: `build/transformers-cpp mem TASK --model DIR --runs 1 --cycles N [--then DIR2]
#   [--policy P] --threads T --json` for RSS phases, and `build/transformers-cpp bench TASK --model DIR
#   --batch 1 --seq 16 --runs 3 --threads T --json` for the load time.
# transformers.js / onnxruntime-node: tools/compare/memory_transformersjs.mjs --impl ... (node --expose-gc).
# Defaults: --cycles 20, --threads 2, --rounds 1, --task text-classification.
# The C++ binary is build/transformers-cpp (override with TRANSFORMERS_CPP=path).
# Prints markdown tables on stdout; progress goes to stderr.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"

model="" then="" task="text-classification" cycles=20 threads=2 rounds=1 policy="" wait_ms=2000 cycle_wait_ms=100 json_out=""
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit "${1:-0}"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --model) model="$2"; shift 2 ;;
    --then) then="$2"; shift 2 ;;
    --task) task="$2"; shift 2 ;;
    --cycles) cycles="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --policy) policy="$2"; shift 2 ;;
    --wait-ms) wait_ms="$2"; shift 2 ;;
    --cycle-wait-ms) cycle_wait_ms="$2"; shift 2 ;;
    --json-out) json_out="$2"; shift 2 ;;
    -h|--help) usage 0 ;;
    *) echo "memory_compare.sh: unknown argument $1" >&2; usage 2 >&2 ;;
  esac
done
[ -n "$model" ] || { echo "memory_compare.sh: --model is required" >&2; usage 2 >&2; }
for d in "$model" ${then:+"$then"}; do
  [ -f "$d/onnx/model.onnx" ] || { echo "memory_compare.sh: $d/onnx/model.onnx not found" >&2; exit 2; }
done
model="$(cd "$model" && pwd)"
[ -n "$then" ] && then="$(cd "$then" && pwd)"

cpp="${TRANSFORMERS_CPP:-$repo/build/transformers-cpp}"
if [ ! -x "$cpp" ]; then
  echo "memory_compare.sh: $cpp not found (cmake --build build --target transformers-cpp); JS rows only" >&2
  cpp=""
fi
if [ ! -d "$repo/tools/node/node_modules/@huggingface/transformers" ]; then
  echo "memory_compare.sh: Transformers.js missing: (cd tools/node && npm ci)" >&2; exit 2
fi

results="$(mktemp -d)"
trap 'rm -rf "$results"' EXIT
mem_js=(node --expose-gc "$repo/tools/compare/memory_transformersjs.mjs" --task "$task" --model "$model"
        --cycles "$cycles" --threads "$threads" --wait-ms "$wait_ms" --cycle-wait-ms "$cycle_wait_ms" ${then:+--then "$then"})

n=0
run() {  # kind label command...: keeps the command's stdout as <n>.<kind>
  local kind=$1 label=$2; shift 2
  echo "[memory_compare] $label" >&2
  n=$((n + 1))
  local f="$results/$(printf %03d $n).$kind"
  "$@" > "$f" || { echo "[memory_compare] $label failed" >&2; rm -f "$f"; }
}

for round in $(seq "$rounds"); do
  if [ -n "$cpp" ]; then
    run cppmem "round $round: transformers-cpp mem" "$cpp" mem "$task" --model "$model" --runs 1 --cycles "$cycles" \
        --threads "$threads" ${then:+--then "$then"} ${policy:+--policy "$policy"} --json
    run cppbench "round $round: transformers-cpp bench (load time)" "$cpp" bench "$task" --model "$model" \
        --batch 1 --seq 16 --runs 3 --loads 5 --threads "$threads" --json
  fi
  run js "round $round: transformers.js" "${mem_js[@]}" --impl transformers.js
  run js "round $round: onnxruntime-node" "${mem_js[@]}" --impl onnxruntime-node
done

node - "$results" "$task" "$model" "$then" "$cycles" "$threads" "$rounds" "${policy:-default}" "$json_out" "$wait_ms" "$cycle_wait_ms" <<'EOF'
const fs = require('fs');
const path = require('path');
const [dir, task, model, then, cycles, threads, rounds, policy, jsonOut, waitMs, cycleWaitMs] = process.argv.slice(2);
const MiB = 1024 * 1024;
const lastJson = (text) => {  // the last JSON object: from the last line starting with '{'
  const nl = text.lastIndexOf('\n{');
  const start = nl >= 0 ? nl + 1 : text.startsWith('{') ? 0 : -1;
  if (start < 0) throw new Error('no JSON object');
  return JSON.parse(text.slice(start));
};
// Normalized records: {impl, round, load_ms, before_load, after_load, after_run, after_dispose,
// second_adds, cycle_growth, (cpp only) phases}
const recs = [];
const raw = [];
let round = 0, pendingCpp = null;
for (const f of fs.readdirSync(dir).sort()) {
  const kind = path.extname(f).slice(1);
  let j;
  try { j = lastJson(fs.readFileSync(path.join(dir, f), 'utf8')); } catch (e) {
    console.error(`[memory_compare] unreadable output ${f}: ${e.message}`); continue;
  }
  raw.push({ kind, ...j });
  if (kind === 'cppmem') {
    const ph = Object.fromEntries(j.phases.map((p) => [p.phase, p.report]));
    const rss = (name) => (ph[name] ? ph[name].process.rss / MiB : undefined);
    const c = j.cycle_rss_mib;
    pendingCpp = {
      impl: 'transformers-cpp',
      before_load: rss('baseline'), after_load: rss('after load'), after_run: rss('after first run'),
      after_dispose: rss('after dispose'),
      second_adds: ph['second model, 1 run'] ? rss('second model, 1 run') - rss('after dispose') : undefined,
      second_kept: ph['second disposed'] ? rss('second disposed') - rss('after dispose') : undefined,
      cycle_growth: c.length ? c[c.length - 1] - c[0] : undefined,
      cycle_first: c[0], cycle_last: c[c.length - 1],
      phases: j.phases.map((p) => ({
        phase: p.phase, rss: p.report.process.rss / MiB, anon: p.report.process.rss_anon / MiB,
        file: p.report.process.rss_file / MiB, pss: p.report.process.pss / MiB,
        mapped: p.report.mapped_weights_bytes / MiB, reserved: p.report.allocator.reserved / MiB,
        in_use: p.report.allocator.in_use / MiB, hwm: p.report.process.vm_hwm / MiB,
      })),
      trim_released: j.trim_released_bytes / MiB,
    };
    recs.push(pendingCpp);
  } else if (kind === 'cppbench') {
    if (pendingCpp) pendingCpp.load_ms = j.load_ms;
    else recs.push({ impl: 'transformers-cpp', load_ms: j.load_ms });
    pendingCpp = null;
  } else {
    const r = j.rss_mib;
    const c = j.cycle_rss_mib;
    recs.push({
      impl: j.impl, load_ms: j.load_ms, before_load: r.before_load, after_load: r.after_load,
      after_run: r.after_run, after_dispose: r.after_dispose,
      second_adds: r.second_after_run !== undefined ? r.second_after_run - r.after_dispose : undefined,
      second_load_adds: r.second_after_load !== undefined ? r.second_after_load - r.after_dispose : undefined,
      second_kept: r.second_after_dispose !== undefined ? r.second_after_dispose - r.after_dispose : undefined,
      cycle_growth: j.cycle_growth_mib, cycle_first: c[0], cycle_last: c[c.length - 1],
    });
  }
}
if (jsonOut) fs.writeFileSync(jsonOut, raw.map((r) => JSON.stringify(r)).join('\n') + '\n');

const median = (xs) => {
  const v = xs.filter((x) => typeof x === 'number' && isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return undefined;
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};
const f = (x, d = 1) => (typeof x === 'number' && isFinite(x) ? x.toFixed(d) : 'n/a');
const sf = (x, d = 1) => (typeof x === 'number' && isFinite(x) ? (x >= 0 ? '+' : '') + x.toFixed(d) : 'n/a');
const keys = ['load_ms', 'before_load', 'after_load', 'after_run', 'after_dispose', 'second_adds',
              'second_load_adds', 'second_kept', 'cycle_growth', 'cycle_first', 'cycle_last', 'trim_released'];
const rows = [];
for (const impl of ['transformers-cpp', 'transformers.js', 'onnxruntime-node']) {
  const same = recs.filter((r) => r.impl === impl);
  if (!same.length) continue;
  const agg = { impl, n: same.length };
  for (const k of keys) agg[k] = median(same.map((r) => r[k]));
  agg.kept = median(same.map((r) => r.after_dispose - r.before_load));
  if (same[0].phases) {  // per phase, median over rounds
    agg.phases = same[0].phases.map((p, i) => {
      const o = { phase: p.phase };
      for (const k of ['rss', 'anon', 'file', 'pss', 'mapped', 'reserved', 'in_use', 'hwm'])
        o[k] = median(same.map((r) => r.phases?.[i]?.[k]));
      return o;
    });
  }
  rows.push(agg);
}

const weightsMiB = fs.statSync(path.join(model, 'onnx/model.onnx')).size / MiB +
  (fs.readdirSync(path.join(model, 'onnx')).filter((x) => x.startsWith('model.onnx_data'))
     .reduce((s, x) => s + fs.statSync(path.join(model, 'onnx', x)).size, 0) / MiB);
const out = [];
out.push(`**${task}** on \`${model}\` (onnx/model.onnx ${f(weightsMiB)} MiB)` +
         (then ? `, then \`${then}\`` : '') +
         ` — ${cycles} create/run/dispose cycles, ${threads} intra-op thread(s), transformers-cpp policy ${policy};` +
         ` medians over ${rounds} interleaved round(s); node waits ${waitMs} ms after dispose, ${cycleWaitMs} ms after each cycle; RSS in MiB`, '');
const head = ['impl', 'load ms', 'RSS before load', 'after load', 'after run', 'after dispose',
              'kept after dispose (after dispose - before load)', `RSS growth over ${cycles} cycles (last - first)`];
if (then) head.push('second model adds (load + 1 run, over after dispose)');
out.push(`| ${head.join(' | ')} |`);
out.push(`|${head.map((_, i) => (i ? '---:' : '---')).join('|')}|`);
for (const r of rows) {
  const cells = [r.impl, f(r.load_ms), f(r.before_load), f(r.after_load), f(r.after_run), f(r.after_dispose),
                 sf(r.kept), sf(r.cycle_growth)];
  if (then) cells.push(sf(r.second_adds));
  out.push(`| ${cells.join(' | ')} |`);
}
const cppRow = rows.find((r) => r.impl === 'transformers-cpp');
const ortRow = rows.find((r) => r.impl === 'onnxruntime-node');
const tjsRow = rows.find((r) => r.impl === 'transformers.js');
out.push('');
if (cppRow && ortRow) out.push(`- load: onnxruntime-node / transformers-cpp = ${f(ortRow.load_ms / cppRow.load_ms, 2)}x` +
                               (tjsRow ? `; transformers.js / transformers-cpp = ${f(tjsRow.load_ms / cppRow.load_ms, 2)}x` : ''));
for (const r of rows) {
  if (then && r.second_load_adds !== undefined)
    out.push(`- ${r.impl}: second model load alone adds ${sf(r.second_load_adds)}; after the second dispose ${sf(r.second_kept)} over the first after-dispose`);
}
if (cppRow) {
  out.push(`- transformers-cpp: RSS after load / weights = ${f(cppRow.after_load / weightsMiB, 2)}x, after first run (weights paged in) ${f(cppRow.after_run / weightsMiB, 2)}x; ` +
           `cycles RSS ${f(cppRow.cycle_first)} -> ${f(cppRow.cycle_last)}; trim() released ${f(cppRow.trim_released, 2)} MiB`);
  out.push(`- load ms: transformers-cpp: median of 5 loads in one process (\`bench --loads 5\`: the first also creates the ONNX Runtime environment); JS columns: median of the first load and the ${cycles} cycle loads`);
}
if (cppRow?.phases) {
  out.push('', 'transformers-cpp by phase (what is anonymous vs file-backed; "mapped weights" = weight file mapped, paged in or not):', '');
  out.push('| phase | RSS | RssAnon | RssFile | PSS | mapped weights | allocator reserved | allocator in use | VmHWM |');
  out.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const p of cppRow.phases)
    out.push(`| ${p.phase} | ${f(p.rss)} | ${f(p.anon)} | ${f(p.file)} | ${f(p.pss)} | ${f(p.mapped)} | ${f(p.reserved, 2)} | ${f(p.in_use, 2)} | ${f(p.hwm)} |`);
}
console.log(out.join('\n'));
EOF
