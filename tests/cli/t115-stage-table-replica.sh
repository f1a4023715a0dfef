#!/bin/sh
# t115-stage-table-replica.sh -- with several replica classes (a straggler in
# one DP replica) the per-stage rows and the mean bubble are DP replica 0's:
# straggler-paper-injected.json slows GPU 37 (DP rank 1, stage 2) to 0.5x, and
# the table showed stage 2 as busy as the others without saying whose it was.
. "$(dirname "$0")/lib-tap.sh"
echo 1..4
"$BIN" run "$ROOT/configs/experiments/straggler-paper-injected.json" >"$TMP/s" 2>/dev/null
check "two classes: the table says it is DP replica 0's, one of 2 classes" \
    "grep -B1 '^  stage   busy' '$TMP/s' | grep -q '^  per stage: DP replica 0, one of 2 replica classes simulated'"
"$BIN" run "$ROOT/configs/experiments/default.json" >"$TMP/d" 2>/dev/null
check "one class: no such line" "! grep -q 'replica classes' '$TMP/d' && grep -q '^  stage   busy' '$TMP/d'"
# the JSON's stages block says the same (it did not)
"$BIN" run "$ROOT/configs/experiments/straggler-paper-injected.json" --quiet --json "$TMP/s.json" 2>/dev/null
check "JSON, two classes: stages.dp_replica 0, stages.replica_classes 2" \
    "[ '$(jget dp_replica "$TMP/s.json")' = 0 ] && [ '$(jget replica_classes "$TMP/s.json")' = 2 ]"
"$BIN" run "$ROOT/configs/experiments/default.json" --quiet --json "$TMP/d.json" 2>/dev/null
check "JSON, one class: replica_classes 1" "[ '$(jget replica_classes "$TMP/d.json")' = 1 ]"
