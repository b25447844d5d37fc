#!/usr/bin/env bash
# Greedy decoding speed, transformers-cpp vs Transformers.js, on one decoder-only folder, rounds interleaved.
# Both measure per token the same way: (a call of N+1 new tokens - a call of 1) / N, end to end.
#   tools/compare/generation_speed.sh MODEL_DIR [PROMPT_TOKENS=64] [NEW_TOKENS=64] [ROUNDS=3]
# Needs build/transformers-cpp and tools/node (npm ci). Prints both medians and the ratio, and, when
# build/bench/generation_bench is there, a bare ONNX Runtime step on the same graph in the same rounds: the
# floor of any pipeline on this engine, so Transformers.js / bare is the highest ratio one could reach.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
model="${1:?usage: generation_speed.sh MODEL_DIR [PROMPT_TOKENS] [NEW_TOKENS] [ROUNDS]}"
prompt="${2:-64}" new="${3:-64}" rounds="${4:-3}"
cpp="${TRANSFORMERS_CPP:-$repo/build/transformers-cpp}"
bench="${GENERATION_BENCH:-$repo/build/bench/generation_bench}"
ours=() theirs=() bare=()
for ((r = 0; r < rounds; ++r)); do
  ours+=("$("$cpp" bench text-generation --model "$model" --seq "$prompt" --new-tokens "$new" --runs 3 --json |
            /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["per_token_from_calls_ms"])')")
  theirs+=("$(node "$repo/tools/compare/generation_speed.mjs" "$model" "$prompt" "$new" 3 |
              /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["ms_per_token"])')")
  if [ -x "$bench" ]; then
    bare+=("$("$bench" "$model" "$prompt" "$new" 1 0 | awk '/bare ONNX Runtime step/ { print $(NF-1) }')")
  fi
done
/usr/bin/python3 - "${ours[*]}" "${theirs[*]}" "${bare[*]:-}" <<'PY'
import statistics, sys
ours = [float(x) for x in sys.argv[1].split()]
theirs = [float(x) for x in sys.argv[2].split()]
bare = [float(x) for x in sys.argv[3].split()]
o, t = statistics.median(ours), statistics.median(theirs)
print(f"per token (ms, median of {len(ours)} rounds): transformers-cpp {o:.3f}  Transformers.js {t:.3f}")
print(f"tokens/s: transformers-cpp {1000/o:.1f}  Transformers.js {1000/t:.1f}  ratio {t/o:.2f}x")
if bare:
    b = statistics.median(bare)
    print(f"bare ONNX Runtime step (I/O binding, same graph) {b:.3f} ms: Transformers.js / bare {t/b:.2f}x, "
          f"transformers-cpp / bare {o/b:.3f}")
PY
