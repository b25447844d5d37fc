#!/usr/bin/env bash
# tools/use_lite/convert.py refuses a damaged package with an error that names the file, and writes nothing.
#   converter_errors.sh SOURCE_DIR
set -euo pipefail
src=$1
package="$src/third_party/downloads/use_lite/package"
[ -f "$package/dist/model.json" ] || { echo "FAIL: $package is missing: run scripts/setup.sh" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0

# expect NAME DAMAGE FRAGMENT: copies the package, applies DAMAGE (a shell snippet run in its dist/),
# runs the converter and checks it fails with FRAGMENT in its message and no model written.
expect() {
  local name=$1 damage=$2 fragment=$3
  rm -rf "$work/pkg" "$work/out"
  cp -r "$package" "$work/pkg"
  (cd "$work/pkg/dist" && eval "$damage")
  local status=0
  /usr/bin/python3 "$src/tools/use_lite/convert.py" --package "$work/pkg" --out "$work/out" >"$work/log" 2>&1 || status=$?
  if [ "$status" -eq 0 ]; then
    echo "FAIL [$name]: the converter accepted it"; failures=$((failures + 1))
  elif ! grep -qF -- "$fragment" "$work/log"; then
    echo "FAIL [$name]: message lacks '$fragment':"; cat "$work/log"; failures=$((failures + 1))
  elif grep -q Traceback "$work/log"; then
    echo "FAIL [$name]: a traceback instead of an error message:"; cat "$work/log"; failures=$((failures + 1))
  elif [ -e "$work/out/onnx/model.onnx" ]; then
    echo "FAIL [$name]: a model was written anyway"; failures=$((failures + 1))
  else
    echo "ok   [$name]: $(tail -1 "$work/log")"
  fi
}

expect "missing shard"      'rm group1-shard3of7'                               'group1-shard3of7'
expect "truncated shard"    'truncate -s -1000 group1-shard7of7'                'too short at'
expect "longer shard"       'printf 0123456789 >> group1-shard7of7'             'manifest describes'
expect "missing model.json" 'rm model.json'                                     'model.json'
expect "truncated model.json" 'truncate -s 5000 model.json'                     'corrupted package file'
expect "not a graph model"  'echo "{\"format\": \"layers-model\"}" > model.json' "has no 'modelTopology'"
expect "missing vocab.json" 'rm vocab.json'                                     'vocab.json'
expect "vocab not pairs"    'echo "[1, 2, 3]" > vocab.json'                     'is not a list of [piece, score]'
expect "vocab too large"    "/usr/bin/python3 -c 'import json; v=json.load(open(\"vocab.json\")); v+=[[\"x%d\" % i, -20.0] for i in range(500)]; json.dump(v, open(\"vocab.json\", \"w\"))'" \
                            'the vocabulary does not match the model'

[ "$failures" -eq 0 ] || { echo "$failures case(s) failed"; exit 1; }
echo "all damaged packages refused"
