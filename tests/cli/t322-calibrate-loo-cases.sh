#!/bin/sh
# t322-calibrate-loo-cases.sh -- `dtsim calibrate --loo` fits the parameters once
# per case on the other cases. With one case (or no more cases than parameters)
# a fit had nothing (or too little) to fit: it minimised 0/0 and printed a
# leave-one-out error anyway (+5.3% on a one-case Megatron set). It is refused
# before any simulation, naming the set file and $.cases, exit 1. The abstract
# set of t321: iteration = 11 (t_f + 2) s.
. "$(dirname "$0")/lib-tap.sh"
echo 1..4
CASE="{ \"config\": \"$ROOT/tests/data/configs/abstract.json\", \"published\": 33 }"
cat >"$TMP/one.json" <<JSON
{ "name": "abstract t_f", "metric": "iteration_time_s",
  "parameters": [ { "key": "model.t_f", "min": 0.5, "max": 2, "start": 1.5 } ],
  "cases": [ $CASE ] }
JSON
"$BIN" calibrate "$TMP/one.json" --loo >"$TMP/out" 2>"$TMP/err"
rc=$?
check "one case, one parameter, --loo: exit 1, one line naming the file and \$.cases" \
    "[ $rc -eq 1 ] && [ \$(wc -l <'$TMP/err') -eq 1 ] && grep -qF 'dtsim: $TMP/one.json: \$.cases: --loo fits the 1 parameter to the other cases of each case, so it needs more cases than parameters (at least 2), got 1' '$TMP/err'"
check "... no table on stdout" "[ ! -s '$TMP/out' ]"
cat >"$TMP/two.json" <<JSON
{ "name": "abstract t_f and t_b", "metric": "iteration_time_s",
  "parameters": [ { "key": "model.t_f", "min": 0.5, "max": 2, "start": 1.5 },
                  { "key": "model.t_b", "min": 1, "max": 3, "start": 2.5 } ],
  "cases": [ $CASE, $CASE ] }
JSON
"$BIN" calibrate "$TMP/two.json" --loo >"$TMP/out" 2>"$TMP/err"
rc=$?
check "two cases, two parameters, --loo: refused (at least 3)" \
    "[ $rc -eq 1 ] && grep -qF 'needs more cases than parameters (at least 3), got 2' '$TMP/err'"
"$BIN" calibrate "$TMP/one.json" >"$TMP/out" 2>"$TMP/err"
rc=$?
check "one case without --loo still fits (t_f about 1)" \
    "[ $rc -eq 0 ] && grep -q '^  model.t_f = 1\\.00' '$TMP/out'"
