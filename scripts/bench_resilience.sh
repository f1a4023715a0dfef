#!/bin/sh
# bench_resilience.sh -- wall time of a 30-day run of a 16,384-GPU job (2048
# nodes of 8 GPUs, Llama-3-like failure rate: 419 interruptions in 54 days,
# component mix of the Llama 3 report) under all five schemes. Target: under
# 60 s in total. Uses the analytic oracle (configs/resilience/llama3-16k.json).
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${DTSIM_BIN:-$ROOT/dtsim}
start=$(date +%s.%N)
"$BIN" resilience "$ROOT/configs/resilience/llama3-16k.json" --quiet
end=$(date +%s.%N)
awk -v a="$start" -v b="$end" 'BEGIN { t = b - a; printf "bench_resilience: 30 days, 2048 nodes, 5 schemes: %.2f s wall (target < 60 s): %s\n", t, t < 60 ? "ok" : "TOO SLOW" }'
