#!/bin/sh
# t506-resilience-stragglers.sh -- a run with failures and stragglers at once
# ("2% slower GPUs and a failure every 3 hours"). The run level does not track
# which GPUs are alive, so it applies only slowness that names none (devices
# with "all", noise, sequence lengths), to every plan the oracle times. GPT-3
# 2.7B on 16 single-GPU nodes (configs/papers/oobleck), checkpoint-restart,
# the synthetic 3-hourly trace (traces/spot/3h.csv).
#   - an "all" factor of 1 changes nothing: the JSON report is byte-identical
#     to the one without a stragglers section;
#   - the oracle applies the same slowness as `dtsim run`: the healthy
#     samples/s of the shape ckpt starts with (its plan line, PP x DP) is the
#     global batch (512) over `dtsim run`'s mean iteration time of that shape
#     with the same stragglers section and seed; for an "all" factor of 0.5
#     and for per-op noise (sigma 0.2, 3 iterations, so the mean is of three
#     distinct iterations)
#   - the table and the JSON say which slowness applies;
#   - 2% slower GPUs lower the healthy samples/s by 0-2%: only compute slows,
#     communication does not (bounds, not a value);
#   - slowness that varies over time (a profile) or names nodes is refused with
#     the entry's JSON path (t100 has the named-GPU case).
. "$(dirname "$0")/lib-tap.sh"
CFG=$ROOT/configs/papers/oobleck/gpt3-2.7b.json
TRACE=$ROOT/traces/spot/3h.csv
echo 1..8
res() { # OUT STRAGGLERS [more options]: ckpt on 16 nodes, JSON to OUT.json, table to OUT.txt
    out=$1 s=$2; shift 2
    "$BIN" resilience "$CFG" --failure-trace "$TRACE" --schemes ckpt --set resilience.nodes=16 \
        --set "stragglers=$s" --quiet --json "$out.json" "$@" >"$out.txt" 2>"$out.err"
}
"$BIN" resilience "$CFG" --failure-trace "$TRACE" --schemes ckpt --set resilience.nodes=16 \
    --quiet --json "$TMP/none.json" >/dev/null 2>&1
res "$TMP/one" '{"devices":[{"all":true,"factor":1}]}'
# the reports name their config overrides and the slowness; compare everything else
grep -v '"overrides"\|"stragglers"' "$TMP/none.json" >"$TMP/none.rest"
grep -v '"overrides"\|"stragglers"' "$TMP/one.json" >"$TMP/one.rest"
check "an \"all\" factor of 1: the same report as no stragglers section" \
    "[ -s '$TMP/none.rest' ] && cmp -s '$TMP/none.rest' '$TMP/one.rest'"
consistent() { # NAME STRAGGLERS ITERATIONS: ckpt's healthy samples/s x run's iteration time = 512
    res "$TMP/c" "$2" --set engine.iterations="$3"
    shape=$(sed -n 's/^  ckpt: *PP \([0-9]*\) x DP \([0-9]*\),.*/\1 \2/p' "$TMP/c.txt")
    set -- "$1" "$2" "$3" $shape
    "$BIN" run "$CFG" --set failures=null --set resilience=null --set "stragglers=$2" \
        --set engine.iterations="$3" --set parallel.pp="$4" --set parallel.dp="$5" --quiet \
        --json "$TMP/r.json" >/dev/null 2>&1
    h=$(jnum "$TMP/c.json" healthy_samples_per_s 3); t=$(jnum "$TMP/r.json" iteration_s 2)
    check "$1: healthy $h samples/s x run's iteration $t s (PP $4 x DP $5) = 512" \
        "[ -n '$4' ] && awk -v h='$h' -v t='$t' 'BEGIN { exit !(h != \"\" && t != \"\" && (h * t - 512) ^ 2 < 1e-14) }'"
}
consistent "GPUs at 0.5x" '{"devices":[{"all":true,"factor":0.5}]}' 1
check "the report says what slows every plan" \
    "grep -qx 'stragglers: every GPU at 0.5x' '$TMP/c.txt' && grep -q '\"stragglers\":.*\"every GPU at 0.5x\"' '$TMP/c.json'"
consistent "per-op noise sigma 0.2, 3 iterations" '{"noise":{"sigma":0.2}}' 3
res "$TMP/slow" '{"devices":[{"all":true,"factor":0.98}]}'
h1=$(jnum "$TMP/none.json" healthy_samples_per_s 3); h98=$(jnum "$TMP/slow.json" healthy_samples_per_s 3)
check "2% slower GPUs: healthy $h98 in [0.98, 1) x $h1 samples/s" \
    "awk -v a='$h98' -v b='$h1' 'BEGIN { exit !(a != \"\" && b != \"\" && a < b && a >= 0.98 * b) }'"
res "$TMP/prof" '{"devices":[{"all":true,"profile":[[0,1],[3600,0.5]]}]}'
rc=$?
check "a time-varying factor: refused, naming \$.stragglers.devices[0]" \
    "[ $rc -eq 1 ] && [ \$(wc -l <'$TMP/prof.err') -eq 1 ] && grep -q 'stragglers.devices\[0\]: a run with failures applies constant slowness only' '$TMP/prof.err'"
res "$TMP/node" '{"devices":[{"node":3,"factor":0.5}]}'
rc=$?
check "a slow node by index: refused, naming the --set override and \$.stragglers.devices[0]" \
    "[ $rc -eq 1 ] && grep -q 'stragglers=.*: \$.stragglers.devices\[0\]: a run with failures does not track' '$TMP/node.err'"
res "$TMP/pause" '{"pauses":[{"all":true,"every":10,"duration_ms":100}]}'
rc=$?
check "stalls (pauses): refused, naming \$.stragglers.pauses" \
    "[ $rc -eq 1 ] && grep -q '\$.stragglers.pauses: a run with failures does not track' '$TMP/pause.err'"
