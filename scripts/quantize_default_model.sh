#!/usr/bin/env bash
# Makes the default model's q8 (models/use-lite/onnx/model_quantized.onnx) with our own quantizer, once the
# CLI is built: dynamic int8 with per-channel, 7-bit weights, which gives the same numbers on every x86-64
# CPU (no 16-bit saturation without VNNI) and min cosine 0.994 to the TF.js model (docs/use-lite.md).
# The converter's weight-only q8 (DequantizeLinear before fp32 MatMuls) is replaced. Idempotent: redone
# when the fp32 model, the quantizer or the q8 file changes.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=models/use-lite
cli=build/transformers-cpp
[ -f "$dir/onnx/model.onnx" ] || { echo "[quantize] $dir/onnx/model.onnx missing: run scripts/setup.sh" >&2; exit 1; }
[ -x "$cli" ] || { echo "[quantize] $cli missing: run scripts/build.sh" >&2; exit 1; }
want=$(cat "$dir/onnx/model.onnx" src/engine/onnx_quantize.cpp scripts/quantize_default_model.sh | sha256sum | cut -d' ' -f1)
stamp="$dir/.quantized"
if [ -f "$stamp" ] && [ -f "$dir/onnx/model_quantized.onnx" ] \
   && [ "$(head -1 "$stamp")" = "$want" ] \
   && [ "$(tail -1 "$stamp")" = "$(sha256sum "$dir/onnx/model_quantized.onnx" | cut -d' ' -f1)" ]; then
  echo "[quantize] $dir q8: present"
  exit 0
fi
"$cli" quantize --per-channel --reduce-range "$dir"
printf '%s\n%s\n' "$want" "$(sha256sum "$dir/onnx/model_quantized.onnx" | cut -d' ' -f1)" > "$stamp"
