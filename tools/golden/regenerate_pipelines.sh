#!/usr/bin/env bash
# Regenerates tests/fixtures/golden/pipelines.json with Transformers.js: every case on this CPU, then the
# q8 cases once more under qemu-x86_64 -cpu EPYC-Rome (AVX2+FMA, no AVX-512/VNNI), so that both int8 GEMM
# paths of ONNX Runtime have their golden (docs/testing.md). On a host without VNNI the "exact" entries
# cannot be produced here and are kept from the existing file.
set -euo pipefail
cd "$(dirname "$0")/../node"
[ -d node_modules/@huggingface/transformers ] || npm ci --silent
command -v qemu-x86_64 >/dev/null || { echo "qemu-x86_64 not found: apt-get install qemu-user" >&2; exit 1; }
node ../golden/pipeline_goldens.mjs
qemu-x86_64 -cpu EPYC-Rome "$(command -v node)" ../golden/pipeline_goldens.mjs --q8-only --int8-path=saturating \
  2> >(grep -v "TCG doesn't support requested feature" >&2)
