#!/bin/sh
# t508-resilience-json-header.sh -- `dtsim resilience --json` carries what
# the table shows: the header line's spares, failure source and seed, and
# with --runs N the 95% interval of every time bucket (the table's "+/-"
# row; the JSON had it for goodput and samples/s only); and the run length,
# in both: a trace runs to its end, random failures 720 h unless
# failures.duration_h or --duration-h (which wins) says otherwise, and neither
# output said which.
. "$(dirname "$0")/lib-tap.sh"
RES="$ROOT/configs/resilience/example.json"
# ci95 FILE BUCKET: that bucket's value in the first "time_frac_ci95" object
ci95() { awk -v k="\"$2\":" '/"time_frac_ci95":/ { on = 1 } on && index($0, k) { sub(/^[^:]*:[ \t]*/, ""); sub(/,$/, ""); print; exit }' "$1"; }
echo 1..8
"$BIN" resilience "$RES" --schemes ckpt --runs 3 --seed 5 --quiet --json "$TMP/r.json" >"$TMP/out" 2>/dev/null
"$BIN" resilience "$RES" --schemes ckpt --runs 3 --seed 5 --quiet >"$TMP/table" 2>/dev/null
check "spares = 4 (table: '24 nodes + 4 spares')" \
    "grep -q '^24 nodes + 4 spares, random failures' '$TMP/table' && [ \"\$(jnum '$TMP/r.json' spares 1)\" = 4 ]"
check "failures = random, seed = 5 (the first of the runs' seeds)" \
    "grep -q '\"failures\":	\"random\"' '$TMP/r.json' && [ \"\$(jnum '$TMP/r.json' seed 1)\" = 5 ]"
rework_h=$(awk '$1 == "+/-" { print $5; exit }' "$TMP/table")
check "time_frac_ci95.rework = the table's +/- of rework ($rework_h)" \
    "[ -n '$rework_h' ] && near \"\$(ci95 '$TMP/r.json' rework)\" '$rework_h' 0.00005"
"$BIN" resilience "$RES" --schemes ckpt --failure-trace "$ROOT/traces/spot/3h.csv" --quiet --json "$TMP/t.json" 2>/dev/null
check "a replayed trace: failures = its path, no seed" \
    "grep -q '\"failures\":	\".*traces/spot/3h.csv\"' '$TMP/t.json' && ! grep -q '\"seed\":' '$TMP/t.json'"
check "one run: every bucket's interval is 0" \
    "[ \"\$(ci95 '$TMP/t.json' rework)\" = 0 ]"
check "header and JSON: random failures over 720 h (the default)" \
    "grep -q '^24 nodes + 4 spares, random failures over 720 h, mean and 95% interval over 3 runs' '$TMP/table' && [ \"\$(jnum '$TMP/r.json' duration_h 1)\" = 720 ]"
check "a replayed trace runs to its end: traces/spot/3h.csv over 45 h" \
    "[ \"\$(jnum '$TMP/t.json' duration_h 1)\" = 45 ]"
"$BIN" resilience "$RES" --schemes ckpt --duration-h 24 --set failures.duration_h=48 >"$TMP/d" 2>/dev/null
check "--duration-h 24 wins over --set failures.duration_h=48, and the header says so" \
    "head -1 '$TMP/d' | grep -q '^24 nodes + 4 spares, random failures over 24 h, one run, with --set failures.duration_h=48\$'"
