#!/bin/sh
# t409-compare-mean-slowdown-columns.sh -- the compare table and CSV show the mean
# of the iterations when a variant simulated several, and with a stragglers
# section the slowdown against the no-slowness run and the what-if S. Without
# them, stalls every 2 and every 3 iterations gave the same row: dtsim raises
# the iterations to first + 1 = every, so the last iteration (the row's) always
# stalls. Closed form (t602, tests/data/stragglers-abstract.json: baseline
# 33 s): a 5 s stall on stage 0 after the backward adds 5 s to its iteration:
# every 2 -> 33, 38 (mean 35.5); every 3 -> 33, 33, 38 (mean 34.6667).
. "$(dirname "$0")/lib-tap.sh"
CFG=$ROOT/tests/data/stragglers-abstract.json

echo 1..7
V='stragglers.pauses=[{"gpu":0,"every":2,"duration_ms":5000}],[{"gpu":0,"every":3,"duration_ms":5000}]'
"$BIN" compare "$CFG" --vary "$V" --quiet --csv "$TMP/p.csv" >"$TMP/p.txt" 2>/dev/null
rc=$?
check "stalls every 2 and 3 iterations: exit 0" "[ $rc -eq 0 ]"
lastcols() { awk -F, -v r="$1" 'NR == r + 1 { print $(NF-13), $(NF-12), $(NF-2), $(NF-1) }' "$2"; }
check "CSV header has mean_iteration_time_s after iteration_time_s, sim_slowdown and whatif_slowdown before status" \
    "head -1 '$TMP/p.csv' | grep -q ',iteration_time_s,mean_iteration_time_s,bubble_fraction,.*,tflops_per_gpu,sim_slowdown,whatif_slowdown,status\$'"
set -- $(lastcols 1 "$TMP/p.csv")
check "every 2: last iteration 38 s, mean 35.5 s, sim_slowdown 35.5/33" \
    "[ '$1' = 38 ] && [ '$2' = 35.5 ] && near '$3' 1.075757576 1e-9"
set -- $(lastcols 2 "$TMP/p.csv")
check "every 3: last iteration 38 s, mean 34.6667 s, sim_slowdown 34.6667/33" \
    "[ '$1' = 38 ] && near '$2' 34.66666667 1e-8 && near '$3' 1.050505051 1e-9"
check "... what-if S in the row" "near '$4' 1.04391468 1e-6"
check "the table has the mean_iter_s, sim_slowdown and whatif_S columns" \
    "head -1 '$TMP/p.txt' | grep -q 'iteration_s  mean_iter_s  bubble .* TFLOP/s/GPU  sim_slowdown  whatif_S  status\$'"
"$BIN" compare "$ROOT/tests/data/compare-abstract16.json" --vary parallel.schedule=1f1b,zb-h1 \
    --quiet --csv - >"$TMP/plain.csv" 2>/dev/null
check "one iteration, no stragglers: the columns are as before" \
    "[ \"\$(head -1 '$TMP/plain.csv')\" = 'parallel.schedule,iteration_time_s,bubble_fraction,zb_bubble_rate,peak_activation_bytes,peak_inflight_microbatches,peak_memory_bytes,fits_in_memory,tokens_per_s,samples_per_s_per_gpu,tflops_per_gpu,status' ]"
