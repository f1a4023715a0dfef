#!/bin/sh
# t602-stragglers-closed-form.sh -- slow devices and stalls in an abstract 1F1B
# pipeline (tests/data/stragglers-abstract.json: p = 4 stages, 2 replicas, m = 8
# microbatches, F = 1 s, B = 2 s, c = F + B, free communication, no DP traffic).
#
# Baseline: (m + p - 1) c = 11 * 3 = 33 s.
# One slow stage k at speed f (F' = F/f, B' = B/f, c' = F' + B'), derivation:
# the forward of microbatch 0 reaches stage k at kF; stage k runs p - k
# forwards (warm-up + the first steady one) back to back, ending at
# kF + (p-k)F'; the backward of microbatch 0 comes back at kF + F' +
# (p-1-k)c, so stage k idles max(0, (p-1-k)(c - F')); from then on it is the
# bottleneck and busy until its m(F' + B') of work is done; the last backward
# then crosses stages k-1..0 in kB. So
#     T = k c + m c' + max(0, (p-1-k)(c - F')),
# for f = 0.5 (F' = 2, c' = 6): k = 0: 51, 1: 53, 2: 55, 3: 57 s. The replica
# without the slow GPU still takes 33 s; there is no DP sync in this model, so
# the iteration (last optimizer end) is the slow replica's.
# GPU g is TP group g (tp = 1), i.e. stage g / 2 of replica g % 2, whose
# what-if rank is g: GPUs 1, 3, 5, 7 slow stages 0..3 of replica 1.
. "$(dirname "$0")/lib-tap.sh"
CFG=$ROOT/tests/data/stragglers-abstract.json

echo 1..21
for k in 0 1 2 3; do
    g=$((2 * k + 1))
    "$BIN" run "$CFG" --set "stragglers={\"devices\":[{\"gpu\":$g,\"factor\":0.5}]}" \
        --json "$TMP/k$k.json" >"$TMP/k$k.out" 2>/dev/null
    idle=$((3 - k)); [ $idle -lt 0 ] && idle=0
    want=$((3 * k + 8 * 6 + idle))
    T=$(jnum "$TMP/k$k.json" iteration_s 2)
    check "slow stage $k: T = k c + m c' + max(0, (p-1-k)(c-F')) = $want s" "near '$T' $want 1e-9"
    check "slow stage $k: what-if ranks GPU $g (dp_rank 1, stage $k) first" \
        "[ \"\$(top_worker '$TMP/k$k.out')\" = '$g 1 $k' ]"
done
B=$(jnum "$TMP/k0.json" baseline_iteration_s 2)
check "baseline on the same platform: (m+p-1) c = 33 s" "near '$B' 33 1e-9"
check "two replica classes simulated (the slow replica and the rest)" \
    "[ \"\$(jnum '$TMP/k0.json' n_classes 2)\" = 2 ]"

# Uniform 0.5x: every op twice as long, T = 2 * 33 s; every op of a type has
# the same time, so the what-if ideal equals the measured: S = 1 (nothing to fix).
"$BIN" run "$CFG" --set 'stragglers={"devices":[{"all":true,"factor":0.5}]}' \
    --json "$TMP/u.json" >/dev/null 2>&1
check "uniform 0.5x: T = 66 s, one class" \
    "near '$(jnum "$TMP/u.json" iteration_s 2)' 66 1e-9 && [ \"\$(jnum '$TMP/u.json' n_classes 2)\" = 1 ]"
check "uniform 0.5x: what-if S = 1" "near '$(jnum "$TMP/u.json" slowdown 3)' 1 1e-12"

# A 5 s stall on GPU 1 (stage 0 of replica 1) every 2 iterations from
# iteration 1: dtsim simulates 2 iterations; stage 0's last backward ends the
# iteration, so iteration 1 takes 33 + 5 s: mean (33 + 38) / 2 = 35.5 s. The
# what-if ideal gc time is the mean over 8 workers x 2 steps: 5/16 = 0.3125 s,
# on the critical path (gc follows stage 0's last backward): T_ideal = 33.3125,
# S = 35.5 / 33.3125.
"$BIN" run "$CFG" --set 'stragglers={"pauses":[{"gpu":1,"every":2,"first":1,"duration_ms":5000}]}' \
    --json "$TMP/p0.json" >/dev/null 2>"$TMP/p0.err"
check "stall on stage 0: 2 iterations, mean T = 35.5 s" \
    "[ \"\$(jnum '$TMP/p0.json' iterations 2)\" = 2 ] && near '$(jnum "$TMP/p0.json" iteration_s 2)' 35.5 1e-9"
check "stall: stderr says why 2 iterations" "grep -q 'simulating 2 iterations instead of 1' '$TMP/p0.err'"
check "stall on stage 0: S = 35.5 / 33.3125" \
    "near '$(jnum "$TMP/p0.json" slowdown 3)' $(awk 'BEGIN { printf "%.12f", 35.5 / 33.3125 }') 1e-9"
# The same stall on stage 2 (GPU 5): its last backward ends 2 B = 4 s before
# the iteration does, so the stall delays its optimizer to 29 + 5 = 34 s:
# mean (33 + 34) / 2 = 33.5 s.
"$BIN" run "$CFG" --set 'stragglers={"pauses":[{"gpu":5,"every":2,"first":1,"duration_ms":5000}]}' \
    --json "$TMP/p2.json" >/dev/null 2>&1
check "stall on stage 2: 4 s of it hidden, mean T = 33.5 s" \
    "near '$(jnum "$TMP/p2.json" iteration_s 2)' 33.5 1e-9"

# Speed profiles (SimGrid SPEED traces on the host, in simulated time from the
# start of the run): 0.5x from t = 0 is the constant factor (55 s for stage 2);
# a drop after the iteration ends changes nothing (33 s). A drop at t = 20 s:
# at full speed stage 2 runs F0 [2,3] F1 [3,4] B0 [6,8] and from then on
# back to back (F 1 s, B 2 s), its B4 ending at 20 s exactly; its last five
# ops F6 B5 F7 B6 B7 (8 s of work) take twice that, 16 s, with no wait (stage
# 3 is ahead), B7 ending at 36 s; then B7 crosses stages 1 and 0: 36 + 2 B =
# 40 s (an event replay of the 1F1B lists gives the same; was: in (33, 55)).
prof() {
    "$BIN" run "$CFG" --set "stragglers={\"devices\":[{\"gpu\":5,\"profile\":$1}]}" \
        --json "$TMP/pr.json" >/dev/null 2>&1
    jnum "$TMP/pr.json" iteration_s 2
}
check "profile [[0, 0.5]] = factor 0.5 on stage 2: 55 s" "near '$(prof '[[0,0.5]]')' 55 1e-9"
check "profile dropping at 1000 s: 33 s" "near '$(prof '[[0,1],[1000,0.5]]')' 33 1e-9"
check "profile dropping at 20 s: 20 + 2 x 8 + 2 B = 40 s" "near '$(prof '[[0,1],[20,0.5]]')' 40 1e-9"
# A drop at 22 s, inside B5 [21,23]: its last second of work takes 2 s (B5
# ends at 24 s), then F7 B6 B7 (5 s of work) take 10 s: 34 s, + 2 B = 38 s.
check "profile dropping at 22 s, mid-op: the op finishes at the new speed, 38 s" \
    "near '$(prof '[[0,1],[22,0.5]]')' 38 1e-9"
# compare --quiet drops that note too (its --help says so; it was printed)
"$BIN" compare "$CFG" --quiet --vary 'stragglers.pauses=[{"gpu":1,"every":2,"first":1,"duration_ms":5000}]' \
    >/dev/null 2>"$TMP/cq.err"
rc=$?
check "compare --quiet: no iterations note on stderr" "[ $rc -eq 0 ] && ! grep -q 'iterations instead' '$TMP/cq.err'"
