#!/usr/bin/env bash
# Compiler launcher that logs each compile's wall time: "seconds build-folder source" to $COMPILE_TIMES_LOG
# (default /tmp/compile_times.log). Where CI's build time goes (docs/reliability.md):
#   CMAKE_CXX_COMPILER_LAUNCHER=$PWD/scripts/time_compiles.sh bash .ci/run     # on a fresh clone
#   sort -rn /tmp/compile_times.log | head
start=$(date +%s.%N); "$@"; rc=$?; end=$(date +%s.%N)
src=""; prev=""
for a in "$@"; do [ "$prev" = "-c" ] && src=$a; prev=$a; done
printf '%.2f %s %s\n' "$(echo "$end - $start" | bc)" "$PWD" "${src:-link}" >> "${COMPILE_TIMES_LOG:-/tmp/compile_times.log}"
exit $rc
