#!/usr/bin/env bash
# Generates the benchmark-sized random-weight models into models/ (git-ignored):
#   minilm-sized-classifier, minilm-sized-embedder (hidden 384, 6 layers), bert-base-sized-classifier
#   (hidden 768, 12 layers, ~418 MiB). Extra arguments go to make_models.py, e.g.
#   scripts/make_bench_models.sh --only minilm-sized-classifier
set -euo pipefail
cd "$(dirname "$0")/.."
PY=/usr/bin/python3   # Debian's python: python3-torch and python3-onnx live there
if ! "$PY" -c 'import torch, onnx' 2>/dev/null; then
  echo "[make_bench_models] installing python3-torch python3-onnx" >&2
  if [ "$(id -u)" -eq 0 ]; then SUDO=(); else SUDO=(sudo); fi
  "${SUDO[@]}" apt-get update -qq
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-torch python3-onnx
fi
tools/fixtures/fetch_npm_assets.sh >/dev/null
if [ $# -eq 0 ]; then set -- --bench; fi
exec "$PY" tools/fixtures/make_models.py "$@"
