#!/usr/bin/env bash
# The server under load, loopback only, bounded in time (docs/server.md):
#   bash bench/server/load.sh [SECONDS=60] [SOAK_MINUTES=0]
# 1. transformers-cpp serve on the default model (USE lite), POST /v1/embeddings from wrk with 64
#    connections for SECONDS: requests/s, p50/p90/p99, errors, the server's RSS before and after;
# 2. the in-process reference: 64 threads through a DynamicBatcher with the server's options, same texts;
# 3. Transformers.js behind a minimal node http server (tools/compare/tjs_embeddings_server.mjs), same load;
# 4. beyond --max-queue: --max-concurrent 2 --max-queue 4 under 128 connections for 20 s (fast 429s,
#    flat memory);
# 5. with SOAK_MINUTES > 0, a soak at 64 connections sampling the RSS every 30 s (SOAK_ONLY=1: only this).
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-60}
soak=${2:-0}
model=models/use-lite
texts=bench/server/texts.txt
[ -f "$model/onnx/model.onnx" ] || bash scripts/setup.sh
command -v wrk >/dev/null || { echo "load.sh: wrk is missing (apt-get install wrk)" >&2; exit 2; }
cmake --build build --target transformers-cpp batched_reference -j"$(nproc)" >/dev/null
cli=build/transformers-cpp
port=18180

rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
wait_up() {  # URL
  for _ in $(seq 1 200); do curl -s -o /dev/null "$1" && return 0; sleep 0.05; done
  echo "load.sh: $1 did not come up" >&2; exit 1
}
run_wrk() {  # CONNECTIONS SECONDS URL -> the RESULT line
  MODEL=use WRK_TEXTS=$texts wrk -t1 -c"$1" -d"$2"s --timeout 10s -s bench/server/embeddings.lua "$3" | grep '^RESULT'
}
start_server() {  # extra flags...
  "$cli" serve --model use="$model" --port "$port" --preload "$@" >/dev/null 2>/tmp/load-serve.err &
  server_pid=$!
  wait_up "http://127.0.0.1:$port/v2/health/ready"
}
stop_server() {
  kill -TERM "$server_pid"
  local rc=0
  wait "$server_pid" || rc=$?
  [ "$rc" -eq 0 ] || { echo "load.sh: the server exited $rc on SIGTERM" >&2; cat /tmp/load-serve.err >&2; exit 1; }
}

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
if [ "${SOAK_ONLY:-0}" != 1 ]; then
echo "== 1. transformers-cpp serve, /v1/embeddings, 64 connections, ${secs} s"
start_server --max-concurrent 64 --max-queue 64
run_wrk 64 5 "http://127.0.0.1:$port/v1/embeddings" >/dev/null  # warm-up
before=$(rss_kib "$server_pid")
ours=$(run_wrk 64 "$secs" "http://127.0.0.1:$port/v1/embeddings")
after=$(rss_kib "$server_pid")
echo "$ours rss_before_mib=$((before / 1024)) rss_after_mib=$((after / 1024))"
stop_server

echo "== 2. in process: 64 threads through a DynamicBatcher, ${secs} s"
reference=$(build/bench/batched_reference "$model" "$texts" 64 "$secs" | grep '^RESULT')
echo "$reference"

echo "== 3. Transformers.js behind a node http server, 64 connections, ${secs} s"
if [ -d tools/node/node_modules/@huggingface/transformers ]; then
  node tools/compare/tjs_embeddings_server.mjs "$model" $((port + 1)) >/dev/null 2>/tmp/load-tjs.err &
  tjs_pid=$!
  for _ in $(seq 1 600); do
    curl -s -o /dev/null -XPOST -d '{"input":"x"}' "http://127.0.0.1:$((port + 1))/v1/embeddings" && break; sleep 0.05
  done
  kill -0 "$tjs_pid" 2>/dev/null || { echo "load.sh: the Transformers.js server did not start:" >&2; cat /tmp/load-tjs.err >&2; exit 1; }
  run_wrk 64 5 "http://127.0.0.1:$((port + 1))/v1/embeddings" >/dev/null
  tjs_before=$(rss_kib "$tjs_pid")
  tjs=$(run_wrk 64 "$secs" "http://127.0.0.1:$((port + 1))/v1/embeddings")
  echo "$tjs rss_before_mib=$((tjs_before / 1024)) rss_after_mib=$(($(rss_kib "$tjs_pid") / 1024))"
  kill "$tjs_pid"; wait "$tjs_pid" 2>/dev/null || true
else
  echo "skipped: Transformers.js is not installed (cd tools/node && npm ci)"
fi

echo "== 4. beyond the queue: --max-concurrent 2 --max-queue 4, 128 connections, 20 s"
start_server --max-concurrent 2 --max-queue 4
run_wrk 8 3 "http://127.0.0.1:$port/v1/embeddings" >/dev/null
before=$(rss_kib "$server_pid")
rejected_metric() { curl -s "http://127.0.0.1:$port/metrics" | awk '/^tcpp_requests_rejected_total/ {print $2}'; }
rejected_before=$(rejected_metric)
over=$(run_wrk 128 20 "http://127.0.0.1:$port/v1/embeddings")
after=$(rss_kib "$server_pid")
echo "$over rejected_429=$(($(rejected_metric) - rejected_before)) rss_before_mib=$((before / 1024)) rss_after_mib=$((after / 1024))"
stop_server
fi

if [ "$soak" -gt 0 ]; then
  echo "== 5. soak: 64 connections, ${soak} min, RSS (MiB) every 30 s"
  start_server --max-concurrent 64 --max-queue 64
  run_wrk 64 10 "http://127.0.0.1:$port/v1/embeddings" >/dev/null
  samples=""
  for _ in $(seq 1 $((soak * 2))); do
    run_wrk 64 30 "http://127.0.0.1:$port/v1/embeddings" >/dev/null
    samples="$samples $(($(rss_kib "$server_pid") / 1024))"
  done
  echo "rss_mib:$samples"
  stop_server
fi

[ "${SOAK_ONLY:-0}" = 1 ] && exit 0
rps() { sed -E 's/.* rps=([0-9.]+).*/\1/' <<<"$1"; }
ref=$(sed -E 's/.*texts_per_s=([0-9.]+).*/\1/' <<<"$reference")
echo
echo "== server / in-process batched throughput: $(awk -v a="$(rps "$ours")" -v b="$ref" 'BEGIN {printf "%.3f", a / b}')"
[ -n "${tjs:-}" ] && echo "== server / Transformers.js node server: $(awk -v a="$(rps "$ours")" -v b="$(rps "$tjs")" 'BEGIN {printf "%.2f", a / b}')"
exit 0
