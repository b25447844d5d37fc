#!/usr/bin/env bash
# Installs the build into a scratch prefix, moves the prefix elsewhere (the first one is deleted), builds a
# consumer with find_package(transformers) against the moved copy only, runs it, and checks that it prints
# what the installed CLI prints for the same input, that neither loads ONNX Runtime from outside the
# prefix, and that the installed package names no path of the source or build tree.
set -euo pipefail
build_dir=$(cd "$1" && pwd) source_dir=$(cd "$2" && pwd) model=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build_dir" --prefix "$work/first" >/dev/null
cp -a "$work/first" "$work/moved"
rm -rf "$work/first"
prefix="$work/moved"
if grep -rlI -e "$source_dir" -e "$build_dir" "$prefix/lib/cmake" "$prefix/include" 2>/dev/null; then
  echo "the installed package names the source or build tree (files above)" >&2; exit 1
fi
cmake -S "$source_dir/tests/install/consumer" -B "$work/build" -DCMAKE_PREFIX_PATH="$prefix" \
      -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$work/build" >/dev/null
for program in "$work/build/consumer" "$prefix/bin/transformers-cpp"; do
  ort=$(env -u LD_LIBRARY_PATH ldd "$program" | awk '/libonnxruntime/ {print $3}')
  case "$ort" in
    "$prefix"/*) ;;
    *) echo "$program loads ONNX Runtime from '$ort', outside the prefix $prefix" >&2; exit 1 ;;
  esac
done
got=$(env -u LD_LIBRARY_PATH "$work/build/consumer" "$model")
want=$(env -u LD_LIBRARY_PATH "$prefix/bin/transformers-cpp" run text-classification --model "$model" --json "I love this")
echo "consumer: $got"
[ "$got" = "$want" ] || { echo "differs from the CLI: $want" >&2; exit 1; }
