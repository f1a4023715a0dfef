#!/bin/sh
# t509-resilience-no-plan-blame.sh -- a scheme that finds no plan for the
# job's nodes (the model does not fit, or too many nodes for the batch) is a
# config error: it names the key that sized the job and the --sets, as every
# config error does. It said "CONFIG: ckpt: no PP x DP shape of 2 nodes fits
# in GPU memory", naming neither $.cluster.nodes nor --set cluster.nodes=2.
. "$(dirname "$0")/lib-tap.sh"
EXP="$ROOT/configs/experiments/resilience-gpt3-175b.json"
echo 1..4
"$BIN" resilience "$EXP" --set cluster.nodes=2 --set parallel.dp=null --set parallel.pp=2 \
    --set failures.duration_h=1 --quiet >"$TMP/out" 2>"$TMP/err"
rc=$?
check "ckpt on 2 nodes of an experiment: the --set, \$.cluster.nodes, one line, exit 1" \
    "[ $rc -eq 1 ] && [ \$(wc -l <'$TMP/err') -eq 1 ] && grep -qx 'dtsim resilience: --set cluster.nodes=2: \$.cluster.nodes: ckpt: out of GPU memory: no PP x DP shape of 2 nodes fits' '$TMP/err' && [ ! -s '$TMP/out' ]"
"$BIN" resilience "$EXP" --set cluster.nodes=2 --set parallel.dp=null --set parallel.pp=2 \
    --set failures.duration_h=1 --schemes bamboo --quiet >/dev/null 2>"$TMP/err"
check "bamboo: the same key" \
    "grep -qx 'dtsim resilience: --set cluster.nodes=2: \$.cluster.nodes: bamboo: out of GPU memory: no stage count fits the model twice (each node holds its successor'\\''s stage too)' '$TMP/err'"
"$BIN" run "$EXP" --set resilience.nodes=1 --set failures.duration_h=1 --quiet >/dev/null 2>"$TMP/err"
rc=$?
check "dtsim run, resilience.nodes=1: \$.resilience.nodes, '1 node'" \
    "[ $rc -eq 1 ] && grep -qx 'dtsim resilience: --set resilience.nodes=1: \$.resilience.nodes: ckpt: out of GPU memory: no PP x DP shape of 1 node fits' '$TMP/err'"
# in the file itself: the file and the path
sed 's/"spares": 8,/"nodes": 1, "spares": 8,/' "$EXP" >"$TMP/one.json"
"$BIN" resilience "$TMP/one.json" --set failures.duration_h=1 --schemes ckpt --quiet >/dev/null 2>"$TMP/err"
check "resilience.nodes = 1 in the file: the file and \$.resilience.nodes" \
    "grep -q '^dtsim resilience: $TMP/one.json.*: \$.resilience.nodes: ckpt: out of GPU memory: no PP x DP shape of 1 node fits' '$TMP/err'"
