#!/bin/sh
# t113-run-iterations.sh -- `dtsim run --iterations N` reports which
# iteration its figures describe. They are of the last iteration, while the
# stragglers section reports the mean: with per-iteration document lengths
# (straggler-seqlen.json, 3 iterations) the summary said "iteration time
# 1.694 s" and, further down, "with slowness 1.780938 s per iteration (mean)",
# neither the text nor the JSON saying which was which.
. "$(dirname "$0")/lib-tap.sh"
CFG="$ROOT/configs/experiments/straggler-seqlen.json"
ABS="$ROOT/tests/data/configs/abstract.json"
echo 1..5
"$BIN" run "$CFG" --iterations 3 >"$TMP/out" 2>/dev/null
"$BIN" run "$CFG" --iterations 3 --quiet --json "$TMP/r.json" 2>/dev/null
last=$(jget iteration_time_s "$TMP/r.json")
mean=$(jget mean_iteration_time_s "$TMP/r.json")
strag=$(sed -n 's/^  with slowness *\([0-9.]*\) s per iteration (mean)$/\1/p' "$TMP/out")
check "text: the iteration time says it is the last of 3, and gives their mean" \
    "grep -q '^  iteration time      [0-9.]* s (the last of 3 iterations, as the rest of this summary; their mean [0-9.]* s)\$' '$TMP/out'"
check "JSON: iterations = 3" "[ \"\$(jnum '$TMP/r.json' iterations 1)\" = 3 ]"
check "JSON: mean_iteration_time_s = the stragglers section's mean ($strag s), not the last ($last s)" \
    "near '$mean' '$strag' 1e-6 && ! near '$mean' '$last' 1e-3"
"$BIN" run "$ABS" >"$TMP/out1" 2>/dev/null
"$BIN" run "$ABS" --quiet --json "$TMP/a.json" 2>/dev/null
check "one iteration: no note on the iteration time line" \
    "grep -q '^  iteration time      33.000 s\$' '$TMP/out1'"
check "one iteration: mean_iteration_time_s = iteration_time_s, iterations = 1" \
    "near '$(jget mean_iteration_time_s "$TMP/a.json")' '$(jget iteration_time_s "$TMP/a.json")' 1e-12 && [ \"\$(jnum '$TMP/a.json' iterations 1)\" = 1 ]"
