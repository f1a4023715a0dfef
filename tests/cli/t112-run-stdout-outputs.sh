#!/bin/sh
# t112-run-stdout-outputs.sh -- FILE '-' puts one output on stdout, alone:
# `dtsim run --json -` (without --quiet) printed the summary and then the JSON,
# so stdout did not parse; `--export-trace -` and `dtsim resilience --csv -`
# wrote a file named '-'; two outputs on stdout were mixed. Now each '-' output
# replaces the summary (or table), and two of them are a usage error.
. "$(dirname "$0")/lib-tap.sh"
ABS="$ROOT/tests/data/configs/abstract.json"
RES="$ROOT/configs/resilience/example.json"
echo 1..7
cd "$TMP" || exit 1

"$BIN" run "$ABS" --json - >"$TMP/a" 2>/dev/null
rc=$?
check "run --json - (no --quiet): only the JSON on stdout" \
    "[ $rc -eq 0 ] && head -1 '$TMP/a' | grep -q '^{\$' && tail -1 '$TMP/a' | grep -q '^}\$' && ! grep -q '^dtsim: \|iteration time' '$TMP/a'"
"$BIN" run "$ABS" --trace - >"$TMP/b" 2>/dev/null
rc=$?
check "run --trace -: only the trace on stdout" \
    "[ $rc -eq 0 ] && head -c 20 '$TMP/b' | grep -q 'displayTimeUnit' && ! grep -q 'iteration time' '$TMP/b'"
"$BIN" run "$ABS" --export-trace - >"$TMP/c" 2>/dev/null
rc=$?
check "run --export-trace -: the per-op CSV on stdout, no file named '-'" \
    "[ $rc -eq 0 ] && head -1 '$TMP/c' | grep -q '^dp_rank,stage,rank,step,optype,' && ! grep -q 'iteration time' '$TMP/c' && [ ! -e '$TMP/-' ]"
"$BIN" run "$ABS" --json - --trace - >"$TMP/d" 2>"$TMP/err"
rc=$?
check "run --json - --trace -: usage error naming both, nothing on stdout" \
    "[ $rc -eq 2 ] && grep -q '^dtsim run: --json - and --trace - cannot both write to stdout' '$TMP/err' && [ ! -s '$TMP/d' ]"
"$BIN" resilience "$RES" --schemes ckpt,oobleck --csv - >"$TMP/e" 2>/dev/null
rc=$?
check "resilience --csv -: only the CSV on stdout" \
    "[ $rc -eq 0 ] && head -1 '$TMP/e' | grep -q '^time_h,ckpt,oobleck\$' && ! grep -q '^scheme ' '$TMP/e' && [ ! -e '$TMP/-' ]"
"$BIN" resilience "$RES" --csv - --json - >"$TMP/f" 2>"$TMP/err"
rc=$?
check "resilience --csv - --json -: usage error, nothing on stdout" \
    "[ $rc -eq 2 ] && grep -q '^dtsim resilience: --csv - and --json - cannot both write to stdout' '$TMP/err' && [ ! -s '$TMP/f' ]"
"$BIN" run "$ABS" --json "$TMP/g.json" --quiet 2>/dev/null
check "run --json - gives the same JSON as --json FILE" "cmp -s '$TMP/a' '$TMP/g.json'"
