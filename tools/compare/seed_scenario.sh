#!/usr/bin/env bash
# The articles' scenario side by side, in one run (docs/seed-scenario.md): Transformers.js in a node
# worker_threads Worker (tools/compare/seed_scenario.mjs) and transformers-cpp with a thread worker and a
# process worker (`transformers-cpp mem translation ... --then text-classification:DIR2 --worker KIND`):
# load the translation pipeline, transliterate, dispose, load text-classification, classify, dispose,
# terminate. Prints RSS / anonymous / file-backed (MiB) at every phase for each, and the ratios.
#   tools/compare/seed_scenario.sh [TRANSLIT_DIR] [CLASSIFIER_DIR] [POLICY=immediate]
# Defaults: tests/fixtures/models/translit-ru-latn and models/minilm-sized-classifier
# (scripts/make_bench_models.sh). Needs build/transformers-cpp and tools/node (npm ci).
# A process worker's memory is the host's plus the child's: both are shown, and the sum is compared.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
translit="${1:-$repo/tests/fixtures/models/translit-ru-latn}"
classifier="${2:-$repo/models/minilm-sized-classifier}"
policy="${3:-immediate}"
cpp="${TRANSFORMERS_CPP:-$repo/build/transformers-cpp}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
node --expose-gc "$repo/tools/compare/seed_scenario.mjs" "$translit" "$classifier" > "$tmp/tjs.json"
for kind in thread process; do
  "$cpp" mem translation --model "$translit" --then "text-classification:$classifier" --worker "$kind" --runs 1 \
         --warm-up --threads 2 --policy "$policy" --json > "$tmp/$kind.json"
done
/usr/bin/python3 - "$tmp" "$policy" <<'PY'
import json, sys
tmp, policy = sys.argv[1], sys.argv[2]
MiB = 1024 * 1024
tjs = json.load(open(f"{tmp}/tjs.json"))
# Common phase names: ours "after 1 runs" and "after idle" have no Transformers.js counterpart.
order = ["before worker", "worker started", "warmed up", "pipeline loaded", "after first run", "after dispose", "second loaded",
         "second run", "second disposed", "after terminate"]

def ours(kind):
    j = json.load(open(f"{tmp}/{kind}.json"))
    out = {}
    for p in j["phases"]:
        h = p["host"]["process"]
        w = p["worker"]["process"] if (kind == "process" and p["worker"]) else None
        total = {k: h[k] + (w[k] if w else 0) for k in ("rss", "rss_anon", "rss_file")}
        out[p["phase"]] = (total, h)
    return out

t = {p["phase"]: p for p in tjs["phases"]}
th, pr = ours("thread"), ours("process")
print(f"policy {policy}; MiB; process worker = host + child (host alone in brackets)\n")
print(f"{'phase':<18} {'Transformers.js (Worker)':>26} | {'transformers-cpp thread':>26} | {'transformers-cpp process':>34} | {'RSS ratio':>12}")
print(f"{'':<18} {'RSS':>8} {'anon':>8} {'file':>8} | {'RSS':>8} {'anon':>8} {'file':>8} | {'RSS':>8} {'anon':>8} {'file':>8} {'(host)':>7} | {'js/thr js/pr':>12}")
for name in order:
    a, b, (c, ch) = t[name], th[name][0], pr[name]
    f = lambda d: f"{d['rss'] / MiB:8.1f} {d['rss_anon'] / MiB:8.1f} {d['rss_file'] / MiB:8.1f}"
    print(f"{name:<18} {f(a)} | {f(b)} | {f(c)} {ch['rss'] / MiB:7.1f} | {a['rss'] / b['rss']:5.2f} {a['rss'] / c['rss']:5.2f}")

for base in ("before worker", "warmed up"):
    print(f"\nRSS kept above '{base}' (MiB):")
    for name in ("after dispose", "second disposed", "after terminate"):
        js = (t[name]["rss"] - t[base]["rss"]) / MiB
        a = (th[name][0]["rss"] - th[base][0]["rss"]) / MiB
        b = (pr[name][0]["rss"] - pr[base][0]["rss"]) / MiB
        print(f"  {name:<16} Transformers.js {js:+8.1f}   thread {a:+8.1f}   process {b:+8.1f}")
print("\nTransformers.js outputs:", json.dumps(tjs["outputs"]["translation"], ensure_ascii=False))
PY
