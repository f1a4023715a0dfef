#!/bin/sh
# t100-config-errors.sh -- bad input to `dtsim run`: one clear line on stderr
# naming the file and the JSON path, exit status 1 (2 for usage errors), and
# never a crash. One case per kind of error the issue lists.
. "$(dirname "$0")/lib-tap.sh"
GOOD="$ROOT/tests/data/configs/abstract.json"

# run ARGS...: status in $rc, stderr in $TMP/err
run() { "$BIN" run "$@" >"$TMP/out" 2>"$TMP/err"; rc=$?; }
one_line() { [ "$(wc -l <"$TMP/err")" -eq 1 ]; }
says() { grep -q -- "$1" "$TMP/err"; }

echo 1..54

printf '{ "model": { "kind": "abstract", "t_f": 1, "t_b": 2 },\n  "parallel": { "pp": 2, "global_batch_size": 4 \n' >"$TMP/trunc.json"
run "$TMP/trunc.json"
check "malformed JSON: file and line:column" \
    "[ $rc -eq 1 ] && one_line && says '$TMP/trunc.json: malformed JSON at line 2, column 49'"

printf '{ "model": { "kind": "abstract", "t_f": 1, "t_b": 2 },\n  "parallel": { "pp": 2, "global_batch_size": 4, "shedule": "1f1b" } }\n' >"$TMP/typo.json"
run "$TMP/typo.json"
check "unknown key: its path and the known keys" \
    "[ $rc -eq 1 ] && one_line && says 'typo.json: \$.parallel.shedule: unknown key .shedule. (known keys: tp, pp'"

run "$GOOD" --set 'parallel.pp="four"'
check "wrong type: path and what was expected" \
    "[ $rc -eq 1 ] && one_line && says '\$.parallel.pp: expected an integer, got the string \"four\"'"

# "expected a number, got a number": cJSON reads 1e999 as inf
sed 's/"t_f": 1.0/"t_f": 1e999/' "$GOOD" >"$TMP/inf.json"
run "$TMP/inf.json"
check "a number beyond a double (1e999): says out of range" \
    "[ $rc -eq 1 ] && one_line && says '^dtsim: $TMP/inf.json: \$.model.t_f: expected a number, got a number out of range (beyond +-1.8e308)\$'"
run "$GOOD" --set parallel.pp=4.5
check "a fraction for an integer: shows the value" \
    "[ $rc -eq 1 ] && one_line && says '\$.parallel.pp: expected an integer, got 4.5\$'"

run "$ROOT/configs/experiments/default.json" --set parallel.tp=4
check "TP*PP*DP != GPUs: names the product, the cluster size, the DP that fits and the --set" \
    "[ $rc -eq 1 ] && one_line && says 'default.json with --set parallel.tp=4: \$.parallel: tp\*pp\*dp = 4\*12\*1 = 48, but the cluster has 96 GPUs (12 nodes x 8): dp = 2 fits, or leave dp out to derive it'"
# README's "--set parallel.pp=16" on default.json: 128 GPUs, the cluster has 96
# and no dp fits; the hint is the node count that does (there was none)
run "$ROOT/configs/experiments/default.json" --set parallel.pp=16 --set cluster.gpu=h100-sxm
check "PP 16 on 12 nodes: the node count that fits" \
    "[ $rc -eq 1 ] && one_line && says 'with --set parallel.pp=16: \$.parallel: tp\*pp\*dp = 8\*16\*1 = 128, but the cluster has 96 GPUs (12 nodes x 8): cluster.nodes = 16 fits\$'"
run "$ROOT/configs/experiments/default.json" --set cluster.nodes=24 --set parallel.global_batch_size=192 --set parallel.dp=null
check "... and with dp left out (--set parallel.dp=null) it is derived (24 nodes: DP 2)" \
    "[ $rc -eq 0 ] && grep -q 'TP 8, PP 12, DP 2,' '$TMP/out'"

# a NIC of 1e300 Gb/s (1e309 B/s per node: inf) aborted SimGrid (exit 134),
# 1e-300 TFLOP/s deadlocked it, an abstract op of 1e300 s too
run "$ROOT/configs/experiments/default.json" --set cluster.inter_node.nic_Gbps=1e300
check "a huge NIC rate: a range error, not a SimGrid abort" \
    "[ $rc -eq 1 ] && one_line && says '^dtsim: --set cluster.inter_node.nic_Gbps=1e300: \$.cluster.inter_node.nic_Gbps: must be between 0.001 and 1e+06, got 1e+300\$'"
run "$ROOT/configs/experiments/default.json" --set cluster.gpu.peak_tflops.bf16=1e-300
check "a tiny GPU peak: a range error, not an engine deadlock" \
    "[ $rc -eq 1 ] && one_line && says 'peak_tflops.bf16: must be between 0.001 and 1e+06, got 1e-300\$'"
run "$GOOD" --set model.t_f=1e300
check "an abstract op of 1e300 s: a range error" \
    "[ $rc -eq 1 ] && one_line && says '\$.model.t_f: must be between 0 and 1e+06, got 1e+300\$'"

# errors named the file the bad value did not come from
run "$ROOT/configs/experiments/default.json" --set cluster.gpu.memory_GB=-1
check "--set of a GPU key is blamed on the --set (not on a100-80g.json)" \
    "[ $rc -eq 1 ] && one_line && says '^dtsim: --set cluster.gpu.memory_GB=-1: \$.cluster.gpu.memory_GB: must be > 0, got -1\$'"
run "$GOOD" --set parallel..pp=2
check "--set key with an empty part: a usage error (it was read as parallel.pp)" \
    "[ $rc -eq 2 ] && says \"^dtsim run: --set: empty key in 'parallel..pp=2'\\$\""
run "$GOOD" --set parallel.pp
check "--set without '=': a usage error, exit 2 (was 1, unlike --set with no value)" \
    "[ $rc -eq 2 ] && says \"^dtsim run: --set needs KEY=VALUE, got 'parallel.pp'\\$\""
run "$GOOD" --set parallel.shedule.kind=1
check "--set under a key that does not exist: the unknown key is the --set's (was the file's)" \
    "[ $rc -eq 1 ] && one_line && says \"^dtsim: --set parallel.shedule.kind=1: \\\$.parallel.shedule: unknown key 'shedule'\""
printf '{ "layers": 96, "hidden": -5, "heads": 96, "seq_len": 2048, "vocab": 51200 }\n' >"$TMP/badmodel.json"
run "$ROOT/configs/experiments/default.json" --set model="$TMP/badmodel.json"
check "--set model=FILE: an error inside FILE names FILE" \
    "[ $rc -eq 1 ] && one_line && says '^dtsim: $TMP/badmodel.json: \$.model.hidden: must be an integer between 1 and'"
printf '{ "model": "gpt3-175b", "cluster": { "extends": "selene", "nodes": 12,\n  "gpu": { "extends": "a100-80g", "memory_GB": -3 } },\n  "parallel": { "tp": 8, "pp": 12, "global_batch_size": 96 } }\n' >"$TMP/gpu-ext.json"
run "$TMP/gpu-ext.json"
check "a GPU 'extends' overlay in the experiment is blamed on it (not on selene.json)" \
    "[ $rc -eq 1 ] && one_line && says '^dtsim: $TMP/gpu-ext.json: \$.cluster.gpu.memory_GB: must be > 0, got -3\$'"

run "$ROOT/configs/experiments/default.json" --set parallel.pp=5 --set parallel.dp=1 --set cluster.nodes=5 --set parallel.schedule=1f1b --set parallel.virtual_stages=1 --set parallel.global_batch_size=10
check "layers not divisible by PP*v: the plan's error (the experiment, \$.parallel, the --sets), naming the model file (was \$.model.layers in the model file, which has no such path)" \
    "[ $rc -eq 1 ] && one_line && says '^dtsim: .*default.json with --set parallel.pp=5, --set parallel.dp=1, .*: \$.parallel: layers (96, from .*models/gpt3-175b.json) must be divisible by pp\*virtual_stages = 5\*1 = 5'"

run "$GOOD" --set parallel.schedule=interleaved --set parallel.virtual_stages=2 --set parallel.pp=4 --set parallel.global_batch_size=6
check "interleaved with m not a multiple of p" \
    "[ $rc -eq 1 ] && one_line && says '\$.parallel.schedule: interleaved 1F1B needs the microbatches per pipeline .* = 6) to be a multiple of pp (4)'"

run "$ROOT/configs/experiments/default.json" --set parallel.global_batch_size=96000000
# 96M microbatches x 24 chunks was an out-of-memory kill after minutes (~1.8 TB)
check "a batch too large to simulate: error before the engine runs" \
    "[ $rc -eq 1 ] && one_line && says 'global_batch_size: 96000000 microbatches per pipeline x 12 stages x 2 chunks = 2304000000 microbatch-stages'"
run "$GOOD" --set parallel.global_batch_size=0
check "zero size" "[ $rc -eq 1 ] && one_line && says '\$.parallel.global_batch_size: must be an integer between 1 and .*, got 0'"

run "$GOOD" --set model.t_f=-2
check "negative time" "[ $rc -eq 1 ] && one_line && says '\$.model.t_f: must be > 0, got -2'"

run "$ROOT/configs/experiments/default.json" --set cluster.inter_node.nic_Gbps=-200
check "negative bandwidth, blamed on the --set" \
    "[ $rc -eq 1 ] && one_line && says '^dtsim: --set cluster.inter_node.nic_Gbps=-200: \$.cluster.inter_node.nic_Gbps: must be > 0'"

run "$GOOD" --set parallel.schedule=2f2b
check "unknown schedule lists the known ones" \
    "[ $rc -eq 1 ] && one_line && says 'unknown schedule \"2f2b\" (expected one of: gpipe, 1f1b, interleaved'"

run "$ROOT/configs/experiments/default.json" --set model=gpt3-9000b
check "unknown model name: says where it looked, and the names there" \
    "[ $rc -eq 1 ] && one_line && says 'cannot find model .gpt3-9000b.' && says '/models/gpt3-9000b.json; names there: gpt3-175b, gpt3-1t)\$'"
run "$ROOT/configs/experiments/default.json" --set cluster.gpu=h100
check "unknown GPU name (h100 for h100-sxm): lists the GPU specs, sorted" \
    "[ $rc -eq 1 ] && one_line && says '^dtsim: --set cluster.gpu=h100: \$.cluster.gpu: cannot find GPU spec .h100. (looked for .*/configs/gpus/h100.json; names there: a100-80g, b200, h100-sxm, h200-sxm)\$'"

run "$ROOT/configs/experiments/default.json" --set parallel.tp=1 --set parallel.pp=1 --set parallel.dp=96 --set parallel.schedule=1f1b --set parallel.virtual_stages=1
check "a plan that does not fit: stage, sizes and the GPU" \
    "[ $rc -eq 1 ] && one_line && says 'the plan does not fit in GPU memory: pipeline stage 0 needs .* GiB per GPU .* but the a100-80g has 74.5 GiB'"

run "$TMP/absent.json"
check "missing file" "[ $rc -eq 1 ] && one_line && says 'absent.json: cannot read file'"
# both were "malformed JSON at line 1, column 1 (unexpected end of file)"
mkdir "$TMP/dir.json"
run "$TMP/dir.json"
check "a directory as CONFIG: says so" \
    "[ $rc -eq 1 ] && one_line && says '^dtsim: $TMP/dir.json: cannot read file: Is a directory\$'"
# /dev/zero as a config was read until memory ran out (a 24 GB machine)
run /dev/zero
check "an endless file (/dev/zero): refused past 64 MiB" \
    "[ $rc -eq 1 ] && one_line && says '^dtsim: /dev/zero: cannot read file: larger than 64 MiB, not a config\$'"
# stragglers in a run with failures were dropped without a word; the run
# level applies only slowness that names no GPU or node (it does not track
# which are alive): a slow GPU by index is refused, naming the entry
run "$ROOT/configs/experiments/straggler-paper-injected.json" --set 'failures={"node_mtbf_h":100}'
check "a named slow GPU with failures: refused, naming \$.stragglers.devices[0]" \
    "[ $rc -eq 1 ] && one_line && says 'straggler-paper-injected.json: \$.stragglers.devices\[0\]: a run with failures does not track which GPUs and nodes are alive.*\"all\": true'"
printf ' \n' >"$TMP/empty.json"
run "$ROOT/configs/experiments/default.json" --set model="$TMP/empty.json"
check "an empty referenced model file: names it and says it is empty" \
    "[ $rc -eq 1 ] && one_line && says '^dtsim: $TMP/empty.json: the file is empty (expected a JSON object)\$'"

run
check "no config: usage error (exit 2)" "[ $rc -eq 2 ] && says 'missing CONFIG'"

run "$GOOD" --frobnicate
check "unknown option: usage error" "[ $rc -eq 2 ] && says 'unknown option'"

"$BIN" run --help >"$TMP/out" 2>&1
check "--help documents --set, --json and --trace" \
    "grep -q -- '--set KEY=VALUE' '$TMP/out' && grep -q -- '--json FILE' '$TMP/out' && grep -q -- '--trace FILE' '$TMP/out'"

# an audit's findings: unbounded GPU numbers, --set into arrays, a profile
# config given to `dtsim run`, and cross-key errors after a --set
run "$ROOT/configs/experiments/default.json" --set cluster.gpu.efficiency.gemm_half_outputs=1e308
check "gemm_half_outputs 1e308 (deadlocked SimGrid): a range error at its path" \
    "[ $rc -eq 1 ] && one_line && says '^dtsim: --set cluster.gpu.efficiency.gemm_half_outputs=1e308: \$.cluster.gpu.efficiency.gemm_half_outputs: must be between 0 and 1e+12, got 1e+308\$'"
run "$ROOT/configs/experiments/default.json" --set cluster.gpu.peak_tflops.tf32=1e308
check "peak_tflops.tf32 1e308: a range error at its path" \
    "[ $rc -eq 1 ] && one_line && says '\$.cluster.gpu.peak_tflops.tf32: must be between 0 and 1e+06, got 1e+308\$'"
run "$ROOT/configs/experiments/straggler-paper-injected.json" --set 'stragglers.devices[0].factor=0.7'
check "--set with an array index: a usage error saying --set cannot index (was: unknown key 'devices[0]' blamed on the file)" \
    "[ $rc -eq 2 ] && says \"^dtsim run: --set cannot index into an array ('stragglers.devices\\[0\\].factor=0.7')\""
run "$ROOT/configs/resilience/example.json"
check "a dtsim resilience profile given to dtsim run: points to dtsim resilience" \
    "[ $rc -eq 1 ] && one_line && says 'example.json: \$.profile: an analytic profile is read only by .dtsim resilience.: run .dtsim resilience '"
run "$ROOT/configs/experiments/straggler-paper-injected.json" --set cluster.gpu.memory_GB=1 --set engine.iterations=1
check "a plan that no longer fits after --set: the file and every --set are named" \
    "[ $rc -eq 1 ] && one_line && says '^dtsim: .*straggler-paper-injected.json with --set cluster.gpu.memory_GB=1, --set engine.iterations=1: \$.parallel: the plan does not fit'"

# one case per divisibility/range check of the model and plan (a mutation
# audit removed each check and no test failed); default.json: GPT-3 175B,
# 96 layers, hidden 12288, 96 heads, seq 2048, A100, TP 8, PP 12, 2 chunks
D="$ROOT/configs/experiments/default.json"
run "$D" --set model.kv_heads=7
check "heads not a multiple of kv_heads" \
    "[ $rc -eq 1 ] && one_line && says '\$.model.kv_heads: heads (96) must be a multiple of kv_heads (7)\$'"
run "$D" --set model.heads=12
check "heads not divisible by tp" \
    "[ $rc -eq 1 ] && one_line && says '\$.parallel.tp: heads (12) must be divisible by tp (8)\$'"
run "$D" --set parallel.sequence_parallel=true --set model.seq_len=2044
check "seq_len not divisible by tp with sequence parallelism" \
    "[ $rc -eq 1 ] && one_line && says '\$.parallel.sequence_parallel: seq_len (2044) must be divisible by tp (8) with sequence parallelism\$'"
run "$D" --set parallel.schedule=1f1b --set parallel.virtual_stages=1 --set parallel.microbatch_size=2 --set parallel.global_batch_size=97
check "global batch not a multiple of microbatch_size*dp" \
    "[ $rc -eq 1 ] && one_line && says '\$.parallel.global_batch_size: global_batch_size (97) must be a multiple of microbatch_size\*dp = 2\*1 = 2\$'"
run "$D" --set parallel.precision=fp8
check "fp8 on a GPU without an FP8 peak" \
    "[ $rc -eq 1 ] && one_line && says '\$.parallel.precision: GPU a100-80g has no FP8 peak in its spec\$'"
run "$D" --set 'parallel.layer_split=[4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,5]'
check "layer_split summing to 97 of 96 layers" \
    "[ $rc -eq 1 ] && one_line && says '\$.parallel.layer_split: the entries sum to 97 layers, the model has 96\$'"
run "$D" --set 'parallel.layer_split=[0,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,8]'
check "layer_split with an empty virtual stage" \
    "[ $rc -eq 1 ] && one_line && says '\$.parallel.layer_split\[0\]: expected an integer >= 1\$'"
run "$D" --set 'parallel.layer_split=[4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,0]'
check "layer_split with 25 entries for 24 virtual stages" \
    "[ $rc -eq 1 ] && one_line && says '\$.parallel.layer_split: expected 24 entries (pp\*virtual_stages), got 25\$'"
run "$D" --set model.layers=22 --set parallel.layer_split=lighter_ends
check "lighter_ends with 24 + 2 layers over 24 stages: one layer a stage is too few" \
    "[ $rc -eq 1 ] && one_line && says 'lighter_ends needs layers + 2 (24) to be a multiple of pp\*virtual_stages = 24, with at least 2 layers per stage\$'"
run "$D" --set parallel.global_batch_size=97
check "a cross-key error reported at a sibling key names the --set (\$.parallel.schedule after --set parallel.global_batch_size)" \
    "[ $rc -eq 1 ] && one_line && says '^dtsim: .*default.json with --set parallel.global_batch_size=97: \$.parallel.schedule: interleaved 1F1B needs'"
run "$D" --set model.layers=95
check "layers set by --set and not divisible by PP*v: the --set is named as the layers' source" \
    "[ $rc -eq 1 ] && one_line && says '\$.parallel: layers (95, from --set model.layers=95) must be divisible by pp\*virtual_stages = 12\*2 = 24'"
for b in 1e-4 1e303; do
    run "$ROOT/configs/experiments/straggler-lm-head.json" --set parallel.dp_bucket_MB=$b
    check "dp_bucket_MB $b (1e-4 hung, 1e303 dropped the gradient all-reduce): a range error" \
        "[ $rc -eq 1 ] && one_line && says '\$.parallel.dp_bucket_MB: .*between 1 and 100000'"
done
run "$ROOT/configs/experiments/straggler-paper-injected.json" \
    --set 'stragglers.devices=[{"gpu":1,"profile":[[0,0.5]]},{"gpu":2,"profile":[[0,0.5]]}]'
check "two speed profiles on one TP group, from a --set: the --set and the second entry's path (was the file)" \
    "[ $rc -eq 1 ] && one_line && says '^dtsim: --set stragglers.devices=.*: \$.stragglers.devices\[1\]: a second speed profile on the TP group of GPUs 0..3, after \$.stragglers.devices\[0\]'\''s (one profile per group)\$'"
