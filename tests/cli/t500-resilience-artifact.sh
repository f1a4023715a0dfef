#!/bin/sh
# t500-resilience-artifact.sh -- `dtsim resilience --artifact`: the Oobleck
# artifact simulator's numbers (tests/data/oobleck_sim_results.csv, rows
# 10m,BERT-large and 1h,GPT-3-2_7b), JSON output, and usage errors.
. "$(dirname "$0")/lib-tap.sh"
col() { row_col "$1" "$2" "$TMP/out"; }

echo 1..15
"$BIN" resilience --artifact --model BERT-large --failure-trace "$ROOT/traces/spot/10m.csv" \
    --json "$TMP/a.json" >"$TMP/out" 2>"$TMP/err"
rc=$?
check "artifact replay runs" "[ $rc -eq 0 ]"
# RESILIENCE.md §6 test vector: Oobleck 282.11 samples/s, useful 0.9552, fallback 0.0417
check "oobleck samples/s 282.11" "near '$(col oobleck 2)' 282.11 0.01"
check "oobleck useful 0.9552" "near '$(col oobleck 5)' 0.9552 0.0001"
check "oobleck fallback 0.0417" "near '$(col oobleck 10)' 0.0417 0.0001"
# ... and Varuna 173.52 samples/s, useful 0.5445, restart 0.0670 (60.2 s + the
# pauses at 30..17 nodes), checkpoint 0.0404 (40 x 15.8 s), fallback 0.3481
check "varuna: the RESILIENCE.md vector (173.52; 0.5445, 0.0670, 0.0404, 0.3481)" \
    "near '$(col varuna 2)' 173.52 0.01 && near '$(col varuna 5)' 0.5445 0.0001 && near '$(col varuna 8)' 0.0670 0.0001 && near '$(col varuna 9)' 0.0404 0.0001 && near '$(col varuna 10)' 0.3481 0.0001"
check "JSON has the accumulators" "grep -q '\"rebalance_ms\":[[:space:]]*30000' '$TMP/a.json'"
# oobleck_sim_results.csv: 1h,GPT-3-2_7b,oobleck,7.2286,761 steps
"$BIN" resilience --artifact --model GPT-3-2_7b --failure-trace "$ROOT/traces/spot/1h.csv" \
    --schemes oobleck >"$TMP/out" 2>"$TMP/err"
check "1h GPT-3 2.7B: 7.2286 samples/s, 761 steps" "near '$(col oobleck 2)' 7.2286 0.0001 && [ '$(col oobleck 3)' = 761 ]"
"$BIN" resilience --artifact --model GPT-3-2_7b --failure-trace "$ROOT/traces/spot/1h.csv" \
    --schemes oobleck,magic >"$TMP/out" 2>"$TMP/err"
rc=$?
check "unknown scheme: usage error naming it" "[ $rc -eq 2 ] && grep -q \"unknown scheme 'magic'\" '$TMP/err'"
"$BIN" resilience --artifact --model NoSuchModel --failure-trace "$ROOT/traces/spot/1h.csv" >"$TMP/out" 2>"$TMP/err"
rc=$?
# the model is named unknown, with the table that lacks it (it was "no
# throughput table for system 'oobleck', model ...", as if a system was missing)
check "unknown model: one error naming it and the table, listing the table's models, no partial table" \
    "[ $rc -eq 1 ] && [ \$(wc -l <'$TMP/err') -eq 1 ] && grep -q \"^dtsim resilience: .*oobleck_sim_tput.csv: unknown model 'NoSuchModel' (models: BERT-large, GPT-2-ours, GPT-3-medium, GPT-3-2_7b, GPT-3-6_7b)\$\" '$TMP/err' && [ ! -s '$TMP/out' ]"
"$BIN" resilience --model NoSuchModel --failure-trace "$ROOT/traces/spot/1h.csv" >"$TMP/out" 2>"$TMP/err"
rc=$?
check "... also without --artifact" \
    "[ $rc -eq 1 ] && [ \$(wc -l <'$TMP/err') -eq 1 ] && grep -q \"unknown model 'NoSuchModel' (models: BERT-large, \" '$TMP/err' && ! grep -q system '$TMP/err' && [ ! -s '$TMP/out' ]"
"$BIN" resilience --help >"$TMP/out" 2>&1
check "--help describes the options" "grep -q -- '--failure-trace' '$TMP/out' && grep -q -- '--runs' '$TMP/out'"

# A bad --table is refused at load with its line (found by fuzzing: nan and
# hex were read, a duplicate row silently replaced the first, a missing node
# count surfaced mid-run without the file's name)
TBL="$ROOT/tests/data/oobleck_sim_tput.csv"
table() { # NAME SED-EXPR
    sed "$2" "$TBL" >"$TMP/$1.csv"
    "$BIN" resilience --artifact --model GPT-3-6_7b --failure-trace "$ROOT/traces/spot/10m.csv" \
        --table "$TMP/$1.csv" >"$TMP/out" 2>"$TMP/err"
    rc=$?
}
table nan 's/,3.953767179,/,nan,/'
check "table: nan samples/s, file and line" "[ $rc -eq 1 ] && grep -q 'nan.csv:[0-9]*: field 5: not a non-negative number: .nan.' '$TMP/err'"
table dup 's/varuna,GPT-3-6_7b,16,/varuna,GPT-3-6_7b,17,/'
check "table: a second row for one node count" "[ $rc -eq 1 ] && grep -q 'dup.csv:[0-9]*: a second row for varuna GPT-3-6_7b at 17 nodes (line [0-9]*)' '$TMP/err'"
table hole '/^varuna,GPT-3-6_7b,20,/d'
check "table: a node count missing inside a block" "[ $rc -eq 1 ] && grep -q 'hole.csv: varuna GPT-3-6_7b has rows for 15 node counts between 15 and 30' '$TMP/err'"
table frac 's/^varuna,GPT-3-6_7b,16,1024,/varuna,GPT-3-6_7b,16,1024.5,/'
check "table: a fractional batch" "[ $rc -eq 1 ] && grep -q 'frac.csv:[0-9]*: nodes (1..10000000), batch' '$TMP/err'"
