#!/bin/sh
# t604-stragglers-roundtrip.sh -- `dtsim run --export-trace` writes the simulated
# timeline in the straggler CSV format; `dtsim whatif` on that file must give
# exactly the numbers dtsim run computed from the same rows in memory (the CSV
# writes every time as the shortest decimal that reads back to the same double).
. "$(dirname "$0")/lib-tap.sh"
EX=$ROOT/configs/experiments

echo 1..9
"$BIN" run "$EX/straggler-paper-injected.json" --export-trace "$TMP/p.csv" --json "$TMP/p.json" \
    >/dev/null 2>&1
check "run --export-trace exits 0 and writes the CSV header" \
    "[ $? -eq 0 ] && [ \"\$(head -1 '$TMP/p.csv')\" = 'dp_rank,stage,rank,step,optype,start_ts,duration,seq_id,mc,mb_id,gmc' ]"
# rows: 16 workers x (F + B per microbatch = 32) compute, 16 microbatches x (send + recv)
# per direction across 3 stage boundaries x 4 replicas, grads (DP = 4), optimizer and
# the embedding sync of stages 0 and 3 -- counted from the model, not the output
want=$((16 * 32 + 4 * 3 * 16 * 4 + 16 + 16 + 8))
check "CSV has $want op rows" "[ \$((\$(wc -l <'$TMP/p.csv') - 1)) -eq $want ]"
"$BIN" whatif "$TMP/p.csv" --json "$TMP/w.json" >/dev/null 2>&1
check "whatif reads the exported CSV" "[ $? -eq 0 ]"
for k in slowdown t_s t_ideal_s fb_corr; do
    a=$(jnum "$TMP/p.json" $k 3)
    b=$(jnum "$TMP/w.json" $k 1)
    check "$k: in memory $a = from CSV $b" "[ -n '$a' ] && [ '$a' = '$b' ]"
done
a=$(jnum "$TMP/p.json" rem 4)
b=$(jnum "$TMP/w.json" rem 2)
check "M_S: in memory $a = from CSV $b" "[ -n '$a' ] && [ '$a' = '$b' ]"

# with stalls (gc rows) and noise: still identical
"$BIN" run "$ROOT/tests/data/stragglers-abstract.json" \
    --set 'stragglers={"noise":{"sigma":0.2},"pauses":[{"gpu":2,"every":2,"duration_ms":700}]}' \
    --export-trace "$TMP/n.csv" --json "$TMP/n.json" >/dev/null 2>&1
"$BIN" whatif "$TMP/n.csv" --json "$TMP/nw.json" >/dev/null 2>&1
a=$(jnum "$TMP/n.json" slowdown 3)
b=$(jnum "$TMP/nw.json" slowdown 1)
check "noise + stalls: S in memory $a = from CSV $b" "[ -n '$a' ] && [ '$a' = '$b' ]"
