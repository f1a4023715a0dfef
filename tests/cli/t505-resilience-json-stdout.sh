#!/bin/sh
# t505-resilience-json-stdout.sh -- `--json -` writes the JSON to stdout for
# runs with failures as for iterations (`dtsim run --help`: '-' = stdout):
# `dtsim run` of a config with failures/resilience sections, `dtsim resilience`
# (then instead of the table) and its --artifact replay. Before, each wrote a
# file named '-' in the working directory.
. "$(dirname "$0")/lib-tap.sh"
echo 1..4
cd "$TMP" || exit 1
"$BIN" run "$ROOT/configs/experiments/resilience-gpt3-175b.json" --set failures.duration_h=2 \
    --quiet --json - >"$TMP/a" 2>/dev/null
rc=$?
check "dtsim run (failures) --json -: JSON on stdout" \
    "[ $rc -eq 0 ] && head -1 '$TMP/a' | grep -q '^{' && grep -q '\"goodput\":' '$TMP/a'"
"$BIN" resilience "$ROOT/configs/resilience/example.json" --schemes ckpt --json - >"$TMP/b" 2>/dev/null
rc=$?
check "dtsim resilience --json -: only the JSON on stdout" \
    "[ $rc -eq 0 ] && head -1 '$TMP/b' | grep -q '^{' && ! grep -q '^scheme ' '$TMP/b' && grep -q '\"scheme\":' '$TMP/b'"
"$BIN" resilience --model GPT-3-2_7b --artifact --failure-trace "$ROOT/traces/spot/1h.csv" \
    --schemes oobleck --json - >"$TMP/c" 2>/dev/null
rc=$?
check "--artifact --json -: only the JSON on stdout" \
    "[ $rc -eq 0 ] && head -1 '$TMP/c' | grep -q '^{' && ! grep -q '^artifact-compatible' '$TMP/c' && grep -q '\"system\":' '$TMP/c'"
check "no file named '-' written" "[ ! -e '$TMP/-' ]"
