#!/usr/bin/env bash
# The README's main command: installs what is missing, builds, and runs the pipelines on the default model.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
model=tests/fixtures/models/tiny-bert-sentiment
embedder=tests/fixtures/models/tiny-bert-embedder
echo
echo "== text-classification on $model (random weights: the labels show the plumbing, not meaning)"
./build/transformers-cpp run text-classification --model "$model" --top-k all "I love this" "I hate this"
echo
echo "== feature-extraction (mean pooling, normalized) on $embedder"
./build/transformers-cpp run feature-extraction --model "$embedder" --pooling mean --normalize \
  "The quick brown fox" "jumps over the lazy dog"
echo
echo "== similarity (random weights: the ranking shows the plumbing, not meaning)"
./build/transformers-cpp similarity --model "$embedder" "how do I reset my password" \
  "password reset steps" "the weather is nice today" "how can I change my password" | sed -n '1,6p'
echo
echo "== bench: batch 1 x seq 16"
./build/transformers-cpp bench text-classification --model "$model" --batch 1 --seq 16 --runs 200
echo
echo "== memory profile: load, run, dispose, a second model, trim, 5 create/run/dispose cycles"
./build/transformers-cpp mem text-classification --model "$model" --cycles 5 --then tests/fixtures/models/tiny-bert-multilabel \
  | sed -n '1,16p'
