#!/bin/sh
# t110-run-outputs.sh -- `dtsim run` outputs: the JSON report's keys and
# values, the Chrome trace, and byte-identical results for the same config
# and seed.
. "$(dirname "$0")/lib-tap.sh"
ABS="$ROOT/tests/data/configs/abstract.json"

echo 1..19

# Abstract 1F1B, p = 4, m = 8, T_F = 1, T_B + T_W = 2, no comm:
# iteration = (m + p - 1)(T_F + T_B + T_W) = 33 s; bubble fraction
# (p-1)/(m+p-1) = 3/11; bubble ratio (p-1)/m = 3/8 (SCHEDULES.md §4).
"$BIN" run "$ABS" --json "$TMP/a.json" --trace "$TMP/a.trace" >"$TMP/out" 2>/dev/null
check "abstract 1F1B: iteration time 33 s" "near '$(jget iteration_time_s "$TMP/a.json")' 33 1e-9"
check "bubble_fraction = 3/11" "near '$(jget bubble_fraction "$TMP/a.json")' 0.272727272727 1e-9"
check "bubble_ratio = 3/8" "near '$(jget bubble_ratio "$TMP/a.json")' 0.375 1e-9"
check "report has every key the issue lists" \
    "for k in iteration_time_s tokens_per_s tflops_per_gpu mfu bubble_fraction bubble_ratio peak_memory_bytes fits_in_memory; do grep -q \"\\\"\$k\\\":\" '$TMP/a.json' || exit 1; done"
check "trace: F/B slices with microbatch ids on per-stage threads, comm threads named" \
    "grep -q '\"name\":\"F7\",\"cat\":\"compute\"' '$TMP/a.trace' && grep -q '\"name\":\"B0\"' '$TMP/a.trace' && grep -q 'stage 3 PP recv' '$TMP/a.trace'"
"$BIN" run "$ABS" --set model.t_comm=0.25 >"$TMP/out" 2>/dev/null
check "the summary echoes each abstract time (t_comm was printed as t_f)" \
    "grep -q '^  model    abstract: t_f 1.000 s, t_b 1.500 s, t_w 500.000 ms, t_comm 250.000 ms per' '$TMP/out'"
(cd "$TMP" && "$BIN" run "$ABS" --json --quiet >"$TMP/out" 2>"$TMP/err"); rc=$?
check "--json --quiet (--json's value missing): error, no file named --quiet written" \
    "[ $rc -eq 1 ] && [ \$(wc -l <'$TMP/err') -eq 1 ] && grep -q '^dtsim run: cannot write --quiet: an option, not a file name' '$TMP/err' && [ ! -e '$TMP/--quiet' ] && [ ! -s '$TMP/out' ]"

# A real model: the default experiment twice, byte for byte.
"$BIN" run "$ROOT/configs/experiments/default.json" --json "$TMP/d1.json" --trace "$TMP/d1.trace" >"$TMP/o1" 2>/dev/null
"$BIN" run "$ROOT/configs/experiments/default.json" --json "$TMP/d2.json" --trace "$TMP/d2.trace" >"$TMP/o2" 2>/dev/null
check "same config and seed: identical --json" "cmp -s '$TMP/d1.json' '$TMP/d2.json'"
check "same config and seed: identical --trace" "cmp -s '$TMP/d1.trace' '$TMP/d2.trace'"
check "same config and seed: identical summary" "cmp -s '$TMP/o1' '$TMP/o2'"
# TFLOP/s per GPU = executed FLOPs / (time * GPUs): recompute it from the report.
it=$(jget iteration_time_s "$TMP/d1.json"); fl=$(jget executed_flops_per_iteration "$TMP/d1.json")
tf=$(jget tflops_per_gpu "$TMP/d1.json")
want=$(awk -v f="$fl" -v t="$it" 'BEGIN { printf "%.12g", f / t / 96 / 1e12 }')
check "tflops_per_gpu = executed FLOPs / (iteration time * 96 GPUs)" "near '$tf' '$want' 1e-6"

# Outputs that cannot be written fail before the simulation, not after it
for c in "run $ABS --json" "run $ABS --trace" "compare $ABS --vary parallel.pp=2,4 --csv" \
         "whatif $ROOT/traces/stragglers/trace-ST.csv --json"; do
    "$BIN" $c "$TMP/no/such/dir/out" >>"$TMP/outs" 2>"$TMP/err"
    echo "$? $(cat "$TMP/err")" >>"$TMP/unwritable"
done
check "unwritable --json/--trace/--csv (run, compare, whatif): one line, exit 1, nothing simulated" \
    "[ \$(grep -c '^1 dtsim [a-z]*: cannot write .*/no/such/dir/out: No such file or directory\$' '$TMP/unwritable') -eq 4 ] && [ ! -s '$TMP/outs' ]"
# ... and a write that fails later (a full disk) says why, for every writer
if [ -w /dev/full ]; then
    for c in "run $ABS --quiet --json" "run $ABS --quiet --trace" \
             "compare $ABS --vary parallel.pp=2,4 --csv" "compare $ABS --vary parallel.pp=2,4 --json" \
             "whatif $ROOT/traces/stragglers/trace-ST.csv --json" \
             "resilience $ROOT/configs/resilience/example.json --quiet --json" \
             "resilience $ROOT/configs/resilience/example.json --quiet --csv"; do
        "$BIN" $c /dev/full >/dev/null 2>"$TMP/err"
        echo "$? $(grep 'cannot write' "$TMP/err")" >>"$TMP/full"
    done
    check "a full disk (/dev/full): every writer exits 1 with the reason" \
        "[ \$(grep -c '^1 dtsim [a-z]*: cannot write /dev/full: No space left on device\$' '$TMP/full') -eq 7 ]"
else
    echo "ok - # SKIP no writable /dev/full"
fi
"$BIN" run "$ABS" --json "" >"$TMP/out" 2>"$TMP/err"
rc=$?
check "an empty argument (a variable that expanded to nothing): usage error naming it" \
    "[ $rc -eq 2 ] && grep -q 'dtsim run: argument 3 is an empty string (after --json)' '$TMP/err' && [ ! -s '$TMP/out' ]"
"$BIN" whatif "" >"$TMP/out" 2>"$TMP/err"
rc=$?
check "whatif '': usage error (was ': No such file or directory')" \
    "[ $rc -eq 2 ] && grep -q 'dtsim whatif: argument 1 is an empty string' '$TMP/err'"
# a report of a config changed by --set says so (the name is the file's)
"$BIN" run "$ABS" --set parallel.pp=2 --set engine.progress=false --json "$TMP/s.json" >"$TMP/out" 2>/dev/null
check "--set: the report's second line and the JSON name the overrides" \
    "sed -n 2p '$TMP/out' | grep -q '^  with     --set parallel.pp=2 engine.progress=false\$' && grep -q '\"overrides\":[[:space:]]*\"parallel.pp=2 engine.progress=false\"' '$TMP/s.json'"
"$BIN" run "$ABS" --json "$TMP/n.json" >"$TMP/out" 2>/dev/null
check "without --set: no 'with' line, no overrides key" \
    "! grep -q '^  with ' '$TMP/out' && ! grep -q overrides '$TMP/n.json'"
# refusals that need the config come before any output file exists (an
# interleaved --export-trace used to simulate, then fail, leaving an empty CSV)
"$BIN" run "$ROOT/configs/experiments/default.json" --export-trace "$TMP/ex.csv" --json "$TMP/ex.json" >"$TMP/out" 2>"$TMP/err"
rc=$?
check "--export-trace of an interleaved schedule: exit 1 before simulating, no file written" \
    "[ $rc -eq 1 ] && grep -q '^dtsim: .*default.json: \$.parallel: --export-trace needs one model chunk per device, this schedule has 2' '$TMP/err' && [ ! -e '$TMP/ex.csv' ] && [ ! -e '$TMP/ex.json' ]"
"$BIN" run "$ROOT/configs/papers/oobleck/gpt3-2.7b.json" --trace "$TMP/rt.json" >"$TMP/out" 2>"$TMP/err"
rc=$?
check "--trace on a run with failures: usage error, no file written" \
    "[ $rc -eq 2 ] && grep -q 'apply to one iteration' '$TMP/err' && [ ! -e '$TMP/rt.json' ]"
