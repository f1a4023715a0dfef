#!/bin/sh
# bench_resilience.sh -- a 30-day run of a 16,384-GPU job (2048 nodes of 8
# GPUs, Llama-3-like failure rate: 419 interruptions in 54 days, component mix
# of the Llama 3 report) under all five schemes. Target (issue #5): under 60 s
# in total. Two versions: iteration times from the SimGrid engine for every
# plan a scheme chooses (configs/experiments/resilience-llama3-16k.json), and
# the analytic per-layer oracle (configs/resilience/llama3-16k.json). Then a
# week of GPT-3 175B with a failure every 3 hours under Oobleck on SimGrid.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${DTSIM_BIN:-$ROOT/dtsim}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
one() { # NAME CONFIG [OPTIONS]
    name=$1 cfg=$2
    shift 2
    /usr/bin/time -f "%e %U %S %M" -o "$TMP/t" "$BIN" resilience "$cfg" --quiet "$@" >"$TMP/out" 2>"$TMP/err" ||
        { echo "$name: FAILED"; cat "$TMP/err"; return 1; }
    read -r wall usr sys rss <"$TMP/t"
    plans=$(sed -n 's/^dtsim: \([0-9]*\) distinct plans timed.*/\1/p' "$TMP/err")
    runs=$(sed -n 's/.*: \([0-9]*\) pipeline runs on SimGrid, \([0-9]*\) pipeline times derived.*/\1 SimGrid runs, \2 derived/p' "$TMP/err")
    extra=""; [ -n "$plans" ] && extra="  ($plans plans: $runs)"
    awk -v n="$name" -v w="$wall" -v c="$usr" -v y="$sys" -v r="$rss" -v x="$extra" 'BEGIN {
        printf "%-46s CPU %5.2f s  wall %5.2f s  peak RSS %6.1f MB%s  target < 60 s: %s\n",
               n, c + y, w, r / 1024, x, (c + y < 60 ? "met" : "MISSED") }'
}
one "30 days, 16,384 GPUs, 5 schemes, engine" "$ROOT/configs/experiments/resilience-llama3-16k.json"
one "30 days, 16,384 GPUs, 5 schemes, analytic" "$ROOT/configs/resilience/llama3-16k.json"
# many failures, few node counts: Oobleck re-balances the batch at each one,
# so most pipeline times are derived (1F1B affine in microbatches; 133 s before)
one "7 days, GPT-3 175B, MTBF 3 h, Oobleck" \
    "$ROOT/configs/experiments/resilience-gpt3-175b.json" --schemes oobleck \
    --set failures.node_mtbf_h=null --set failures.job_mtbf_h=3
