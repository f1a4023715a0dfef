#!/bin/sh
# t101-cross-key-blame.sh -- a check across keys names what changed those
# keys (README: "a check across keys names the --sets it involves"), also
# when a key lives in another section or file than the one reported:
# `--set model.hidden=8192` on gpt3-175b (96 heads) blamed models/gpt3-175b.json,
# a file the user never touched; --set model.heads, cluster.gpus_per_node and
# model.seq_len were not named by the TP and sequence-parallel checks.
. "$(dirname "$0")/lib-tap.sh"
DEF="$ROOT/configs/experiments/default.json"
run() { "$BIN" run "$@" >"$TMP/out" 2>"$TMP/err"; rc=$?; }
one_line() { [ "$(wc -l <"$TMP/err")" -eq 1 ]; }
says() { grep -q -- "$1" "$TMP/err"; }
echo 1..6

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
