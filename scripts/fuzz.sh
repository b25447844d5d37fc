#!/usr/bin/env bash
# libFuzzer harnesses for the parsers of outside input (fuzz/, issue 17), built with clang into build-asan/
# (the folder of scripts/sanitize.sh: address + undefined sanitizers, -O1, libFuzzer's coverage). Seeds come
# from the committed fixtures.
#   scripts/fuzz.sh --list               the targets, one per line
#   scripts/fuzz.sh TARGET SECONDS       builds what it needs and fuzzes TARGET for SECONDS
#   scripts/fuzz.sh --all SECONDS        every target in turn, SECONDS each (CI's short pass)
# A crash leaves its input as build-asan/crash-* (libFuzzer's own naming) and exits non-zero.
set -euo pipefail
cd "$(dirname "$0")/.."
targets=(fuzz_tokenizer_json fuzz_config_json fuzz_onnx_model fuzz_worker_protocol fuzz_call_options fuzz_tokenizer_config fuzz_generation_config fuzz_chat_template fuzz_server_request)
if [ "${1:-}" = "--list" ]; then printf '%s\n' "${targets[@]}"; exit 0; fi
[ $# -eq 2 ] || { echo "usage: scripts/fuzz.sh --list | TARGET SECONDS | --all SECONDS" >&2; exit 2; }
if [ "$1" = "--all" ]; then
  mkdir -p build-asan
  for t in "${targets[@]}"; do
    echo "[fuzz] $t, $2 s"
    if ! bash "$0" "$t" "$2" > "build-asan/$t.log" 2>&1; then tail -40 "build-asan/$t.log"; exit 1; fi
    tail -1 "build-asan/$t.log"
  done
  exit 0
fi
target=$1 seconds=$2
printf '%s\n' "${targets[@]}" | grep -qx "$target" || { echo "unknown target $target (scripts/fuzz.sh --list)" >&2; exit 2; }
bash scripts/sanitize.sh --configure
cmake --build build-asan -j"$(nproc)" --target "$target"
corpus=build-asan/corpus/$target
mkdir -p "$corpus"
case "$target" in
  fuzz_tokenizer_json) i=0; for f in $(find tests/fixtures/tokenizers -name tokenizer.json -size -2M); do cp "$f" "$corpus/seed$i.json"; i=$((i + 1)); done ;;
  fuzz_config_json) i=0; for f in tests/fixtures/models/*/config.json; do cp "$f" "$corpus/seed$i.json"; i=$((i + 1)); done ;;
  fuzz_onnx_model) cp tests/fixtures/models/int-outputs.onnx "$corpus/seed0.onnx"
                   cp tests/fixtures/models/tiny-bert-sentiment/onnx/model_quantized.onnx "$corpus/seed1.onnx" ;;
  fuzz_worker_protocol) printf '\001\001\000\000\000' > "$corpus/seed0" ;;
  fuzz_chat_template) i=0; for f in tests/fixtures/chat_templates/*.jinja; do [ "$(stat -c %s "$f")" -lt 16384 ] || continue
                        cp "$f" "$corpus/seed$i.jinja"; i=$((i + 1)); done ;;
  fuzz_generation_config) i=0; for f in tests/fixtures/models/*/generation_config.json; do cp "$f" "$corpus/seed$i.json"; i=$((i + 1)); done ;;
  fuzz_tokenizer_config) i=0; for f in tests/fixtures/models/*/tokenizer_config.json tests/fixtures/tokenizers/*/tokenizer_config.json; do
                           cp "$f" "$corpus/seed$i.json"; i=$((i + 1)); done ;;
  # Seeds: a route byte (fuzz/fuzz_server_request.cpp's table), a header byte (2: the API key), a body per route.
  fuzz_server_request) i=0; while IFS= read -r body; do printf "\\$(printf '%03o' "$i")\\002%s" "$body" > "$corpus/seed$i"; i=$((i + 1))
                        done < fuzz/seeds/server_request_bodies.jsonl ;;
  # Seeds: the options of the golden cases (a task byte, then the JSON).
  fuzz_call_options) i=0; for o in '{"top_k":null}' '{"pooling":"mean","normalize":true}' \
                        '{"aggregation_strategy":"simple","ignore_labels":["O"]}' '{"top_k":3}' \
                        '{"top_k":2,"doc_stride":16,"max_seq_len":48}' '{"candidate_labels":["a","b"],"multi_label":true}'; do
                        printf "\\$(printf '%03o' "$i")%s" "$o" > "$corpus/seed$i"; i=$((i + 1)); done ;;
esac
export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1
export LSAN_OPTIONS=suppressions=$PWD/tools/sanitizers/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# The committed dictionaries: JSON structure and keys, or the ONNX protobuf tags (fuzz/dicts/).
case "$target" in
  fuzz_onnx_model) dict=$PWD/fuzz/dicts/onnx.dict ;;
  fuzz_worker_protocol) dict= ;;
  fuzz_chat_template) dict=$PWD/fuzz/dicts/jinja.dict ;;
  fuzz_server_request) dict=$PWD/fuzz/dicts/server.dict ;;
  *) dict=$PWD/fuzz/dicts/json.dict ;;
esac
cd build-asan
# -timeout: the per-input bound (issue 17 asks 1 s; FUZZ_TIMEOUT=1 for the long runs of docs/reliability.md).
"fuzz/$target" -max_total_time="$seconds" -rss_limit_mb=4096 -timeout="${FUZZ_TIMEOUT:-10}" ${dict:+-dict="$dict"} "corpus/$target"
