#!/bin/sh
# t500-resilience-artifact.sh -- `dtsim resilience --artifact`: the Oobleck
# artifact simulator's numbers (tests/data/oobleck_sim_results.csv, rows
# 10m,BERT-large and 1h,GPT-3-2_7b), JSON output, and usage errors.
. "$(dirname "$0")/lib-tap.sh"
col() { row_col "$1" "$2" "$TMP/out"; }

echo 1..9
"$BIN" resilience --artifact --model BERT-large --failure-trace "$ROOT/traces/spot/10m.csv" \
    --json "$TMP/a.json" >"$TMP/out" 2>"$TMP/err"
rc=$?
check "artifact replay runs" "[ $rc -eq 0 ]"
# RESILIENCE.md §6 test vector: Oobleck 282.11 samples/s, useful 0.9552, fallback 0.0417
check "oobleck samples/s 282.11" "near '$(col oobleck 2)' 282.11 0.01"
check "oobleck useful 0.9552" "near '$(col oobleck 5)' 0.9552 0.0001"
check "oobleck fallback 0.0417" "near '$(col oobleck 10)' 0.0417 0.0001"
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
check "unknown model: error" "[ $rc -eq 1 ] && grep -q 'NoSuchModel' '$TMP/err'"
"$BIN" resilience --help >"$TMP/out" 2>&1
check "--help describes the options" "grep -q -- '--failure-trace' '$TMP/out' && grep -q -- '--runs' '$TMP/out'"
