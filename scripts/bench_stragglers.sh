#!/bin/sh
# bench_stragglers.sh -- one iteration plus the what-if straggler analysis
# (per op type, stage, DP rank and worker replays; docs/stragglers.md) of
# two large jobs with one GPU at half speed: the 16,384-GPU example
# (2,048 workers, 16 microbatches) and GPT-3 175B on 19,200 A100s (TP 8,
# PP 12, DP 200: 2,400 workers, 96 microbatches per pipeline). No target in
# an issue; the per-worker replays were quadratic in the workers (3.8 s and
# 83 s before the incremental replay).
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${DTSIM_BIN:-$ROOT/dtsim}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
one() { # NAME CONFIG [ARGS...]
    name=$1 cfg=$2
    shift 2
    /usr/bin/time -f "%e %U %S %M" -o "$TMP/t" "$BIN" run "$cfg" --quiet "$@" >"$TMP/out" 2>"$TMP/err" ||
        { echo "$name: FAILED"; cat "$TMP/err"; return 1; }
    read -r wall usr sys rss <"$TMP/t"
    awk -v n="$name" -v w="$wall" -v c="$usr" -v y="$sys" -v r="$rss" 'BEGIN {
        printf "%-46s CPU %5.2f s  wall %5.2f s  peak RSS %6.1f MB\n", n, c + y, w, r / 1024 }'
}
one "stragglers: 16,384 GPUs, 2,048 workers" "$ROOT/configs/experiments/straggler-16k-one-slow-gpu.json"
one "stragglers: 19,200 GPUs, 2,400 workers, m=96" "$ROOT/configs/experiments/default.json" \
    --set cluster.nodes=2400 --set parallel.dp=200 --set parallel.global_batch_size=19200 \
    --set parallel.schedule=1f1b --set 'stragglers={"devices":[{"gpu":5,"factor":0.5}]}'
