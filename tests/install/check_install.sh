#!/usr/bin/env bash
# Installs the build into a scratch prefix, builds a consumer with find_package(transformers), runs it,
# and checks that it prints what the CLI prints for the same input.
set -euo pipefail
build_dir=$1 source_dir=$2 model=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build_dir" --prefix "$work/prefix" >/dev/null
cmake -S "$source_dir/tests/install/consumer" -B "$work/build" -DCMAKE_PREFIX_PATH="$work/prefix" \
      -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$work/build" >/dev/null
got=$("$work/build/consumer" "$model")
want=$("$work/prefix/bin/transformers-cpp" run text-classification --model "$model" --json "I love this")
echo "consumer: $got"
[ "$got" = "$want" ] || { echo "differs from the CLI: $want" >&2; exit 1; }
