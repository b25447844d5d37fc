#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
bash scripts/quantize_default_model.sh   # the default model's q8 needs the built CLI
ctest --test-dir build --output-on-failure -j"$(nproc)"
