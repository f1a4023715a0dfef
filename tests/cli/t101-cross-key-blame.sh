#!/bin/sh
# t101-cross-key-blame.sh -- a check across keys names what changed those
# keys (README: "a check across keys names the --sets it involves"), also
# when a key lives in another section or file than the one reported:
# `--set model.hidden=8192` on gpt3-175b (96 heads) blamed models/gpt3-175b.json,
# a file the user never touched; --set model.heads, cluster.gpus_per_node and
# model.seq_len were not named by the TP and sequence-parallel checks, nor
# --set cluster.nodes by the batch checks when dp is derived from it.
. "$(dirname "$0")/lib-tap.sh"
DEF="$ROOT/configs/experiments/default.json"
run() { "$BIN" run "$@" >"$TMP/out" 2>"$TMP/err"; rc=$?; }
one_line() { [ "$(wc -l <"$TMP/err")" -eq 1 ]; }
says() { grep -q -- "$1" "$TMP/err"; }
echo 1..12

run "$DEF" --set model.hidden=8192
check "--set model.hidden=8192 on 96 heads: blamed on that --set, at \$.model.hidden" \
    "[ $rc -eq 1 ] && one_line && says '^dtsim: --set model.hidden=8192: \$.model.hidden: hidden (8192) must be a multiple of heads (96)\$'"

run "$DEF" --set model.heads=100
check "--set model.heads=100: still blamed on that --set, at \$.model.heads" \
    "[ $rc -eq 1 ] && one_line && says '^dtsim: --set model.heads=100: \$.model.heads: hidden (12288) must be a multiple of heads (100)\$'"

# a model file that extends a shipped one: its own value is blamed, not the base file
printf '{ "extends": "gpt3-175b", "hidden": 8000 }\n' >"$TMP/mymodel.json"
printf '{ "model": "mymodel.json", "cluster": { "extends": "selene", "nodes": 12 },\n  "parallel": { "tp": 8, "pp": 12, "global_batch_size": 96 } }\n' >"$TMP/exp.json"
run "$TMP/exp.json"
check "a model file extending gpt3-175b with a bad hidden: that file is named, not gpt3-175b.json" \
    "[ $rc -eq 1 ] && one_line && says '^dtsim: $TMP/mymodel.json: \$.model.hidden: hidden (8000) must be a multiple of heads (96)\$'"

run "$DEF" --set model.heads=12
check "heads not divisible by tp: names --set model.heads=12" \
    "[ $rc -eq 1 ] && one_line && says '^dtsim: $DEF with --set model.heads=12: \$.parallel.tp: heads (12) must be divisible by tp (8)\$'"

run "$DEF" --set cluster.gpus_per_node=4
check "TP outside a node: names --set cluster.gpus_per_node=4" \
    "[ $rc -eq 1 ] && one_line && says '^dtsim: $DEF with --set cluster.gpus_per_node=4: \$.parallel.tp: tensor parallelism (8) must stay inside a node'"

run "$DEF" --set model.seq_len=2050 --set parallel.sequence_parallel=true
check "sequence parallelism: names both --sets" \
    "[ $rc -eq 1 ] && one_line && says '^dtsim: --set parallel.sequence_parallel=true, --set model.seq_len=2050: \$.parallel.sequence_parallel: seq_len (2050)'"

# dp derived from the cluster's size (no parallel.dp): the batch checks read it
printf '{ "model": "gpt3-175b", "cluster": "selene",\n  "parallel": { "tp": 8, "pp": 12, "global_batch_size": 1536, "schedule": "1f1b", "recompute": "full" } }\n' >"$TMP/sel.json"
run "$TMP/sel.json" --set cluster.nodes=480
check "global batch vs a derived dp: names --set cluster.nodes=480" \
    "[ $rc -eq 1 ] && one_line && says '^dtsim: $TMP/sel.json with --set cluster.nodes=480: \$.parallel.global_batch_size: global_batch_size (1536) must be a multiple of microbatch_size\*dp = 1\*40 = 40\$'"
run "$TMP/sel.json" --set cluster.nodes=96 --set parallel.global_batch_size=1001
check "a --set of the key itself, and the --set that gave dp: both, once each" \
    "[ $rc -eq 1 ] && one_line && says '^dtsim: --set parallel.global_batch_size=1001, --set cluster.nodes=96: \$.parallel.global_batch_size: '"
run "$TMP/sel.json" --set cluster.nodes=96 --set parallel.schedule=interleaved --set parallel.global_batch_size=1000
check "interleaved microbatches: names the schedule, the batch and the cluster --sets" \
    "[ $rc -eq 1 ] && one_line && says '^dtsim: --set parallel.schedule=interleaved, --set cluster.nodes=96, --set parallel.global_batch_size=1000: \$.parallel.schedule: interleaved 1F1B needs'"
run "$DEF" --set parallel.pp=16 --set cluster.nodes=13
check "TP*PP*DP vs the cluster: names --set cluster.nodes=13 (not only the parallel --sets)" \
    "[ $rc -eq 1 ] && one_line && says '^dtsim: $DEF with --set parallel.pp=16, --set cluster.nodes=13: \$.parallel: tp\*pp\*dp = 8\*16\*1 = 128, but the cluster has 104 GPUs (13 nodes x 8): pp = 1 with dp = 13 uses all 104 GPUs\$'"
# After --set cluster.nodes the hint was the node count the file had
# ("cluster.nodes = 60 fits" after --set cluster.nodes=30); now the nearest
# pipeline depth that fills the cluster and splits the 96 layers: 30 nodes
# are 30 TP groups, pp <= 12 dividing 30 and 96: 6 (dp 5)
"$BIN" resilience "$ROOT/configs/experiments/resilience-gpt3-175b.json" --set cluster.nodes=30 \
    --quiet >/dev/null 2>"$TMP/err"
check "--set cluster.nodes=30 with dp given: the pp that uses the 240 GPUs, not the old node count" \
    "grep -q '(30 nodes x 8): pp = 6 with dp = 5 uses all 240 GPUs\$' '$TMP/err'"
# dp derived: 10 nodes, interleaved (2 chunks): pp | 10 and 2 pp | 96: 2
run "$DEF" --set cluster.nodes=10 --set parallel.dp=null
check "tp*pp not dividing the GPUs: the pp that does (there was no hint)" \
    "[ $rc -eq 1 ] && one_line && says 'tp\*pp = 96 does not divide the 80 GPUs of the cluster: pp = 2 with dp = 5 uses all 80 GPUs\$'"
