#!/usr/bin/env bash
# The stress run (issue 17, docs/testing.md): for MINUTES, caller threads load, call, evict and re-load
# pipelines through one budgeted PipelineManager while thread and process workers are recycled and killed
# mid-call; every answer is checked against the single-threaded reference and RSS against a bound.
#   scripts/stress.sh MINUTES [stress options: --threads N --budget-mb M --rss-bound-mb B]
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { echo "usage: scripts/stress.sh MINUTES [--threads N] [--budget-mb M] [--rss-bound-mb B]" >&2; exit 2; }
minutes=$1
shift
[ -x build/bench/stress ] && [ build/bench/stress -nt bench/stress.cpp ] || bash scripts/build.sh >/dev/null
export XDG_CACHE_HOME=${XDG_CACHE_HOME:-$PWD/build/stress-cache}
build/bench/stress "$(awk -v m="$minutes" 'BEGIN { print m * 60 }')" "$@"
