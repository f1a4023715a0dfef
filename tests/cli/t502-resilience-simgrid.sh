#!/bin/sh
# t502-resilience-simgrid.sh -- the default run engine with every plan timed on
# SimGrid: GPT-3 2.7B on 30 single-GPU nodes (configs/papers/oobleck), the
# Oobleck artifact's synthetic traces (traces/spot: 30 nodes, then one removal
# every 3 h or every 10 min).
#   - healthy throughput: Oobleck instantiates its fastest mix of templates and
#     Varuna the fastest PP x DP shape; both search spaces contain 15 pipelines
#     of 2 nodes, so Oobleck must not be slower than Varuna (within 1%);
#   - Bamboo needs S >= 2 stages (a node holds its successor's copy): with a
#     removal every 3 h its failovers lose only the iteration in flight
#     (rework < 1%), never a roll-back to the 3-hourly checkpoint;
#   - Oobleck SOSP'23's trend at a removal every 10 min: Oobleck > Bamboo >
#     Varuna in effective samples/s (Varuna restarts from a checkpoint at
#     every change);
#   - Bamboo's steady overhead (its redundant forward at the healthy shape of
#     30 nodes) does not depend on the trace: the same on scale_gcp, which
#     starts with no node, as on 10m, which starts with all 30;
#   - Llama-3-405B-like on 16,384 GPUs, 48 h of Llama 3 failures: a failover
#     merges two stages whose activations the memory check refuses; Bamboo
#     runs that pipeline at its x1.5 slowdown instead of stopping the job
#     until the node is repaired (waiting < 1%);
#   - 10 nodes arriving in the same millisecond make one restart (Varuna:
#     600 s + 15 s checkpoint load of a 2 h run, 0.0854) or one reconfiguration
#     (Oobleck: 10 s + copy; Bamboo: one 76 s rebalancing, 0.0106), not ten.
. "$(dirname "$0")/lib-tap.sh"
CFG=$ROOT/configs/papers/oobleck/gpt3-2.7b.json
echo 1..10
"$BIN" resilience "$CFG" --failure-trace "$ROOT/traces/spot/10m.csv" --schemes oobleck,bamboo,varuna \
    --quiet --json "$TMP/r10.json" >"$TMP/t10.txt" 2>/dev/null
rc=$?
check "exit status 0" "[ $rc -eq 0 ]"
healthy() { # SCHEME: healthy_samples_per_s of that scheme in r10.json
    awk -v s="\"$1\"" '$1 == "\"scheme\":" { cur = $2; sub(/,$/, "", cur) }
        $1 == "\"healthy_samples_per_s\":" && cur == s { v = $2; sub(/,$/, "", v); print v; exit }' "$TMP/r10.json"
}
ho=$(healthy oobleck); hv=$(healthy varuna)
check "healthy: Oobleck $ho >= 0.99 x Varuna $hv samples/s" \
    "awk -v o='$ho' -v v='$hv' 'BEGIN { exit !(o != \"\" && o >= 0.99 * v) }'"
o=$(row_col oobleck 3 "$TMP/t10.txt"); b=$(row_col bamboo 3 "$TMP/t10.txt"); v=$(row_col varuna 3 "$TMP/t10.txt")
check "10m trace: Oobleck $o > Bamboo $b samples/s" "awk 'BEGIN { exit !($o > $b) }'"
check "10m trace: Bamboo $b > Varuna $v samples/s" "awk 'BEGIN { exit !($b > $v) }'"
"$BIN" resilience "$CFG" --failure-trace "$ROOT/traces/spot/3h.csv" --schemes bamboo --quiet \
    >"$TMP/t3.txt" 2>/dev/null
rw=$(row_col bamboo 6 "$TMP/t3.txt")
check "3h trace: Bamboo rework $rw < 0.01 of wall time" "near '$rw' 0 0.01"
"$BIN" resilience "$CFG" --failure-trace "$ROOT/traces/spot/scale_gcp-trace.csv" --schemes bamboo \
    --quiet >"$TMP/tg.txt" 2>/dev/null
og=$(row_col bamboo 4 "$TMP/tg.txt"); o10=$(row_col bamboo 4 "$TMP/t10.txt")
# and it is what its parts make: the redundant forward r its plan line prints
# (SimGrid-timed, not derived here) and the 3-hourly fallback checkpoint of
# 15 s (write time, Varuna's plan line): 1 - (1 - 15/10815) / (1 + r); r is
# printed to 0.1%, hence the tolerance (was: anything in [0.05, 0.95])
frc=$(sed -n 's/^  bamboo: .*redundant forward +\([0-9.]*\)% per iteration$/\1/p' "$TMP/t10.txt")
want=$(awk -v r="$frc" 'BEGIN { if (r != "") printf "%.6f", 1 - (1 - 15 / 10815) / (1 + r / 100) }')
check "Bamboo steady overhead: scale_gcp $og = 10m $o10 = 1 - (1 - 15/10815)/(1 + $frc%) = $want" \
    "[ -n '$og' ] && [ '$og' = '$o10' ] && near '$og' '$want' 0.0006"
"$BIN" resilience "$ROOT/configs/experiments/resilience-llama3-16k.json" --schemes bamboo \
    --duration-h 48 --quiet >"$TMP/t16k.txt" 2>/dev/null
wt=$(row_col bamboo 11 "$TMP/t16k.txt")
check "16k GPUs, 48 h: Bamboo waiting $wt < 0.01" "near '$wt' 0 0.01"
awk 'BEGIN { for (i = 1; i <= 20; i++) print "0,add,node" i
             for (i = 21; i <= 30; i++) print "3600000,add,node" i
             print "7200000,remove,node1" }' >"$TMP/batch.csv"
"$BIN" resilience "$CFG" --failure-trace "$TMP/batch.csv" --quiet >"$TMP/tb.txt" 2>/dev/null
vr=$(row_col varuna 7 "$TMP/tb.txt"); orc=$(row_col oobleck 9 "$TMP/tb.txt"); brc=$(row_col bamboo 9 "$TMP/tb.txt")
# the run ends at the trace's last line, 7,200 s. Varuna: one restart of
# restart_s 600 + a checkpoint load, which at equal read and write bandwidth
# takes the write time its plan line prints (15 s): 615 / 7200 = 0.0854 (two
# restarts would be 0.171). Bamboo: one rebalancing of bam_reconfig_s 76 s:
# 76 / 7200 = 0.0106. Oobleck: one pause of 10 s plus a layer copy this test
# does not derive, so only bounded (ten pauses would be >= 100 s = 0.014).
check "10 simultaneous arrivals: Varuna restart $vr = (600 + 15) / 7200" \
    "grep -q '^  varuna: .*(write 15 s)\$' '$TMP/tb.txt' && near '$vr' 0.0854 0.00005"
check "10 simultaneous arrivals: Oobleck reconfig $orc < 0.005" "near '$orc' 0 0.005"
check "10 simultaneous arrivals: Bamboo reconfig $brc = 76 / 7200" "near '$brc' 0.0106 0.00005"
