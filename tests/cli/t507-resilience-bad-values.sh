#!/bin/sh
# t507-resilience-bad-values.sh -- bad values of `dtsim resilience` (and
# `dtsim run` with failures) fail at once with one line naming the file, or
# the --set item that gave the value, and the JSON path; exit 1 (2 for a bad
# flag), nothing on stdout. Each case ran (exit 0, a goodput of 0 or 1), used
# a default, or failed without a path before (docs/resilience.md, "Config keys").
. "$(dirname "$0")/lib-tap.sh"
CFG="$ROOT/configs/resilience/example.json"
OOB="$ROOT/configs/papers/oobleck/gpt3-2.7b.json"
echo 1..25
# res WANT_RC PATTERN NAME ARGS...: run `dtsim resilience ARGS`; ok if it exits
# WANT_RC with one stderr line matching PATTERN (grep -E) and an empty stdout
res() {
    want=$1 pat=$2 name=$3
    shift 3
    "$BIN" resilience "$@" --quiet >"$TMP/out" 2>"$TMP/err"
    rc=$?
    check "$name" "[ $rc -eq $want ] && [ ! -s '$TMP/out' ] && head -n 1 '$TMP/err' | grep -qE -- \"\$pat\" && [ \$(grep -vc '^(see ' '$TMP/err') -eq 1 ]"
}
res 1 "^dtsim resilience: --set profile.tp_efficiency=0: \\\$\\.profile\\.tp_efficiency: must be > 0, got 0\$" \
    "tp_efficiency 0: refused when parsed, with its path (was: no path)" "$CFG" --set profile.tp_efficiency=0
# 2 of 32 layers a node on 24 + 4 nodes, 8 GPUs: (25 GB + 1e6 GB) x 2 / 8 = 250006 GB
res 1 "^dtsim resilience: --set profile.act_mb=1e9: \\\$\\.profile\\.act_mb: no plan on 28 nodes fits the model in GPU memory: .* at least 250006 GB per GPU \\(6\\.25 GB of model state \\+ 250000 GB of activations.*over the 80 GB of \\\$\\.profile\\.gpu_mem_gb\$" \
    "activations that fit nowhere: the key, the memory figures (was: ckpt: no PP x DP shape fits, no file or path)" \
    "$CFG" --set profile.act_mb=1e9
sed 's/"state_mb": 25000/"state_mb": 1e9/' "$CFG" >"$TMP/state.json"
res 1 "^dtsim resilience: .*state\\.json: \\\$\\.profile\\.state_mb: no plan on 28 nodes fits the model in GPU memory" \
    "model state that fits nowhere, from the file: the file and state_mb (Oobleck said 'cannot build templates')" \
    "$TMP/state.json" --schemes oobleck
res 1 "^dtsim resilience: --set profile.act_mb=1e9: \\\$\\.profile\\.act_mb: no plan" \
    "Varuna too (it waited for nodes the whole run, exit 0)" "$CFG" --set profile.act_mb=1e9 --schemes varuna
res 1 "^dtsim resilience: --set resilience.checkpoint_gb=1e20: \\\$\\.resilience\\.checkpoint_gb: must be <= 1e\\+06, got 1e\\+20\$" \
    "a checkpoint of 1e20 GB: its path and bound (was: 'check storage_write_gbps')" \
    "$CFG" --set resilience.checkpoint_gb=1e20
res 1 "^dtsim resilience: --set resilience.storage_write_gbps=1e-6: \\\$\\.resilience\\.storage_write_gbps: a checkpoint write takes 1\\.2e\\+08 s \\(120 GB at 1e-06 GB/s\\), more than 1e\\+07 s .*checkpoint_gb" \
    "a checkpoint write of 1.2e8 s: the bandwidth's path, the 1e7 s bound, and checkpoint_gb" \
    "$CFG" --set resilience.storage_write_gbps=1e-6
res 1 "^dtsim resilience: --set resilience.restart_s=1e308: \\\$\\.resilience\\.restart_s: must be <= 1e\\+07, got 1e\\+308\$" \
    "restart_s 1e308: refused (ran to a goodput of 0)" "$CFG" --set resilience.restart_s=1e308
res 1 "^dtsim resilience: --set profile.dp_gbps=1e308: \\\$\\.profile\\.dp_gbps: must be <= 1e\\+06" \
    "dp_gbps 1e308: refused" "$CFG" --set profile.dp_gbps=1e308
res 1 "^dtsim resilience: --set resilience.pp=30: \\\$\\.resilience\\.pp: 30 stages need at least 30 nodes" \
    "a shape key that does not fit the job: the --set item is blamed" "$CFG" --set resilience.pp=30
# a present key is valid; absence means the default (0 ran on the cluster's 16 nodes)
res 1 "^dtsim: --set resilience.nodes=0: \\\$\\.resilience\\.nodes: must be an integer between 1 and 10000000, got 0\$" \
    "nodes 0 on the Oobleck config: refused (ran on the cluster's 16 nodes instead of 30)" \
    "$OOB" --set resilience.nodes=0
res 1 "\\\$\\.resilience\\.pp: must be an integer between 1 and" "pp 0: refused" "$OOB" --set resilience.pp=0
res 1 "\\\$\\.resilience\\.mtbf_h: must be > 0, got 0\$" "mtbf_h 0: refused" "$OOB" --set resilience.mtbf_h=0
"$BIN" run "$OOB" --set resilience.nodes=0 >"$TMP/out" 2>"$TMP/err"
rc=$?
check "dtsim run: nodes 0 refused the same way" \
    "[ $rc -eq 1 ] && grep -q 'resilience.nodes=0: \$.resilience.nodes: must be an integer between 1' '$TMP/err'"
res 2 "^dtsim resilience: --duration-h must be between 0\\.000277778 \\(one second\\) and 1e\\+06 hours, got '1e-300'\$" \
    "--duration-h 1e-300: usage error (ran, goodput 1)" "$CFG" --duration-h 1e-300
res 2 "^dtsim resilience: --duration-h: not a decimal number: '0x10'\$" \
    "--duration-h 0x10: not decimal (was read as 16 h)" "$CFG" --duration-h 0x10
res 2 "^dtsim resilience: --runs: not a decimal number: '0x2'\$" "--runs 0x2: not decimal" "$CFG" --runs 0x2
# a layer time that puts the iteration out of the oracle's range: the
# profile's error with its --set (was the file and the scheme, no path)
res 1 "^dtsim resilience: .*example\\.json with --set profile\\.fwd_ms=1e308: \\\$\\.profile: ckpt: oracle: an iteration on 24 nodes takes .* s, outside " \
    "fwd_ms 1e308: \$.profile and the --set named" "$CFG" --set profile.fwd_ms=1e308
# A model that passes the pre-run lower bound (one microbatch in flight on the
# deepest pipeline of all 28 nodes: 2 layers x (25 + 20) GB / 8 GPUs = 11.25 GB)
# but fits on no plan a scheme forms. ckpt on its 24 nodes: PP divides the 32
# layers, so at most 16 stages of 2 layers, and 1F1B keeps 16 microbatches in
# flight on stage 0: 2 x (25 + 16 x 20) GB / 8 = 86.25 GB > 80 GB. The schemes'
# errors named the file only (no path).
res 1 "^dtsim resilience: --set profile.act_mb=20000: \\\$\\.profile\\.act_mb: ckpt: out of GPU memory: no PP x DP shape of 24 nodes fits\$" \
    "activations that fit on no ckpt shape: the --set and its path (was the file only)" \
    "$CFG" --set profile.act_mb=20000
sed 's/"act_mb": 50/"act_mb": 20000/' "$CFG" >"$TMP/act.json"
res 1 "^dtsim resilience: .*act\\.json: \\\$\\.profile\\.act_mb: ckpt: out of GPU memory" \
    "the same from the file: the file and act_mb" "$TMP/act.json"
# 8 GB GPUs: Oobleck's n0 = ceil(32 x 25 GB / (8 x 8 GB)) = 13 counts state
# only; its templates are 13..15 nodes (28 - 13 for f = 1), and even 15
# stages put 3 layers on a node: 3 x 25 / 8 = 9.4 GB > 8 GB. It waited for
# nodes the whole run (goodput 0, exit 0).
res 1 "^dtsim resilience: --set profile.gpu_mem_gb=8: \\\$\\.profile\\.gpu_mem_gb: oobleck: out of GPU memory: no pipeline template of 13\\.\\.15 nodes fits; with f = 1, 2 pipelines share the job's 28 nodes\$" \
    "Oobleck with no template that fits: refused (waited the whole run, exit 0)" \
    "$CFG" --set profile.gpu_mem_gb=8 --schemes oobleck
# Bamboo holds two stages a node: 16 stages need 4 x 25 / 8 = 12.5 GB, 32
# stages 6.25 GB, more stages than the 28 nodes (it waited the whole run)
res 1 "^dtsim resilience: --set profile.gpu_mem_gb=8: \\\$\\.profile\\.gpu_mem_gb: bamboo: out of GPU memory: the model fits twice .* only in 32 stages or more, one node each; the job has 28 nodes\$" \
    "Bamboo whose stages outnumber the nodes: refused (waited the whole run, exit 0)" \
    "$CFG" --set profile.gpu_mem_gb=8 --schemes bamboo
# a model config: the --set that chose the model (was the file only)
res 1 "^dtsim resilience: --set model=gpt3-1t: \\\$\\.model: ckpt: out of GPU memory: no PP x DP shape of 8 nodes fits\$" \
    "GPT-3 1T on 8 nodes without recompute: \$.model named" \
    "$ROOT/configs/experiments/resilience-gpt3-175b.json" --set model=gpt3-1t --set cluster.nodes=8 \
    --set parallel.pp=8 --set parallel.dp=1 --set parallel.global_batch_size=64 \
    --set parallel.recompute=none --set parallel.distributed_optimizer=false --duration-h 2
# a value just past a bound is printed as given (was "got 1e+07", the bound itself)
res 1 "^dtsim resilience: --set failures.detection_s=10000001: \\\$\\.failures\\.detection_s: must be <= 1e\\+07, got 10000001\$" \
    "detection_s 10000001: the value as given" "$CFG" --set failures.detection_s=10000001
# 50 GB of activations a layer: 1F1B keeps min(S - stage, microbatches) in
# flight, so a pipeline's first stage holds about 32 x 50 / 8 = 200 GB at any
# depth; Oobleck sized its templates by the state alone and said "waiting for
# nodes: 2 pipelines of at least 4 nodes, 28 up" (checked with 1 microbatch)
res 1 "^dtsim resilience: --set profile.act_mb=50000: \\\$\\.profile\\.act_mb: oobleck: out of GPU memory: no pipeline template of 2\\.\\.26 nodes fits" \
    "Oobleck, activations that fit no template with its share of the batch: refused (waited the whole run)" \
    "$CFG" --set profile.act_mb=50000 --schemes oobleck
# 20 GB: PP must divide the 32 layers; PP 32 needs 32 nodes, PP 16 keeps 16
# microbatches of 2 layers in flight (2 x (25 + 16 x 20) / 8 = 86 GB > 80)
res 1 "^dtsim resilience: --set profile.act_mb=20000: \\\$\\.profile\\.act_mb: varuna: out of GPU memory: no PP x DP shape of 28 nodes fits\$" \
    "Varuna with no shape on the job's 24 + 4 nodes: refused (waited the whole run)" \
    "$CFG" --set profile.act_mb=20000 --schemes varuna
