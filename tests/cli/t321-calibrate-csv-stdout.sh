#!/bin/sh
# t321-calibrate-csv-stdout.sh -- `dtsim calibrate --csv -` writes the CSV to
# stdout (it wrote a file named '-', unlike every other '-' of dtsim) and the
# table, which holds the fitted values, to stderr. A one-case set on the
# abstract model fits t_f (iteration = 11 (t_f + 2) s, published 33 s: t_f = 1).
. "$(dirname "$0")/lib-tap.sh"
echo 1..3
cat >"$TMP/set.json" <<JSON
{ "name": "abstract t_f", "metric": "iteration_time_s",
  "parameters": [ { "key": "model.t_f", "min": 0.5, "max": 2, "start": 1.5 } ],
  "cases": [ { "config": "$ROOT/tests/data/configs/abstract.json", "published": 33 } ] }
JSON
cd "$TMP" || exit 1
"$BIN" calibrate "$TMP/set.json" --csv - >"$TMP/out" 2>"$TMP/err"
rc=$?
check "stdout is the CSV only: a header and the case" \
    "[ $rc -eq 0 ] && [ \$(wc -l <'$TMP/out') -eq 2 ] && head -1 '$TMP/out' | grep -qx 'config,published,simulated,rel_error' && grep -q '/abstract.json,33,' '$TMP/out'"
check "the table with the fitted t_f (about 1) on stderr, '1 case'" \
    "grep -q '^calibration: abstract t_f (1 case, [0-9]* evaluations)\$' '$TMP/err' && grep -q '^  model.t_f = 1\\.00' '$TMP/err'"
check "no file named '-'" "[ ! -e '$TMP/-' ]"
