#!/bin/sh
# t401-compare-real.sh -- `dtsim compare` on a real model (GPT-3 175B, TP 8,
# PP 16 on 16 Selene nodes, tests/data/compare-gpt3-pp16.json): the 7 schedules
# of issue #4, a variant that does not fit in GPU memory, values holding commas,
# --json. Expected peaks in flight are the closed forms of SCHEDULES.md with
# p = 16 (they depend on the op order only): 1F1B, ZB-H1, ZB-V p = 16;
# interleaved p + (p-1)/v = 23.5; ZB-H2 2p-1 = 31; V-Half floor((p+2)/2) = 9;
# V-Min floor((p+4)/3) = 6.
. "$(dirname "$0")/lib-tap.sh"
CFG=$ROOT/tests/data/compare-gpt3-pp16.json
SCHEDS=1f1b,interleaved,zb-h1,zb-h2,zb-v,v-half,v-min

echo 1..12
"$BIN" compare "$CFG" --vary parallel.schedule=$SCHEDS --csv "$TMP/s.csv" --quiet >"$TMP/s.txt" 2>/dev/null
rc=$?
col() { awk -F, -v s="$1" -v c="$2" '$1 == s { print $c }' "$TMP/s.csv"; }
check "7 schedules simulated, exit 0" \
    "[ $rc -eq 0 ] && [ \"\$(awk -F, 'NR > 1 && \$12 == \"ok\"' '$TMP/s.csv' | wc -l)\" -eq 7 ]"
check "peaks in flight: 16 23.5 16 31 16 9 6 (closed forms)" \
    "[ \"$(col 1f1b 6) $(col interleaved 6) $(col zb-h1 6) $(col zb-h2 6) $(col zb-v 6) $(col v-half 6) $(col v-min 6)\" = '16 23.5 16 31 16 9 6' ]"
# activation bytes follow the peaks: ZB-H2 holds 31/16 of 1F1B's on device 0
# (uniform layers; device 0's extra embedding activation is in both)
ratio() { awk -v a="$(col "$1" 5)" -v b="$(col 1f1b 5)" 'BEGIN { print a / b }'; }
check "ZB-H2 / 1F1B peak activation bytes = 31/16" "near '$(ratio zb-h2)' 1.9375 1e-3"
check "ZB-H1 and ZB-V faster than 1F1B" \
    "awk 'BEGIN { exit !($(col zb-h1 2) < $(col 1f1b 2) && $(col zb-v 2) < $(col 1f1b 2)) }'"

# recompute none does not fit with the even split (stage 0: 79.4 GiB); arrays as values
"$BIN" compare "$CFG" --vary parallel.recompute=full,none \
    --vary 'parallel.layer_split="even",[5,6,6,6,6,6,6,6,6,6,6,6,6,6,6,7]' --quiet \
    --json "$TMP/o.json" >"$TMP/o.txt" 2>/dev/null
rc=$?
check "a variant that does not fit: its row says so, exit 1" \
    "[ $rc -eq 1 ] && grep -q '^none  *\"even\" .* no  .*does not fit: stage 0 needs [0-9.]* GiB, the a100-80g has 74.5 GiB\$' '$TMP/o.txt'"
check "values with commas split only outside brackets: 4 rows, arrays intact" \
    "[ \$(grep -c '^[a-z]* *\\[5,6,6,6,6,6,6,6,6,6,6,6,6,6,6,7\\] .* ok\$' '$TMP/o.txt') -eq 2 ] && [ \$(wc -l <'$TMP/o.txt') -eq 5 ]"
check "--json: 4 variants, 3 reports, the status of the 4th" \
    "[ \$(grep -c '\"iteration_time_s\":' '$TMP/o.json') -eq 3 ] && [ \$(grep -c '\"status\":' '$TMP/o.json') -eq 4 ] && grep -q '\"status\":	\"oom\"' '$TMP/o.json' && grep -q '\"parallel.layer_split\":	\\[5, 6' '$TMP/o.json'"

"$BIN" compare "$CFG" --vary parallel.recompute=none --allow-oom --csv - --quiet >"$TMP/a.csv" 2>/dev/null
rc=$?
check "--allow-oom simulates it: fits no, status ok, exit 0" \
    "[ $rc -eq 0 ] && awk -F, 'NR == 2 { exit !(\$8 == \"no\" && \$12 == \"ok\" && \$2 > 0) }' '$TMP/a.csv'"

"$BIN" compare --help >"$TMP/h.txt"
check "--help exits 0 and shows usage" "[ $? -eq 0 ] && grep -q '^usage: dtsim compare' '$TMP/h.txt'"

# compare times one iteration: a sweep of failure keys is refused (it would
# print identical rows), a config with failure sections gets a note
R="$ROOT/configs/experiments/resilience-gpt3-175b.json"
"$BIN" compare "$R" --vary failures.node_mtbf_h=3692,1000 >"$TMP/out" 2>"$TMP/err"
rc=$?
check "--vary failures.*: usage error pointing to sweep_resilience.sh, nothing simulated" \
    "[ $rc -eq 2 ] && grep -q 'sweep_resilience.sh' '$TMP/err' && [ ! -s '$TMP/out' ]"
"$BIN" compare "$R" --vary parallel.schedule=1f1b,zb-h1 >"$TMP/out" 2>"$TMP/err"
rc=$?
check "a config with failure sections: compared, with a note on stderr" \
    "[ $rc -eq 0 ] && grep -q 'has failures/resilience sections' '$TMP/err' && grep -q '^zb-h1 ' '$TMP/out'"
# --help said "Each variant is a full `dtsim run` of CONFIG", which for this config
# simulates a run with failures; and that --quiet silences progress lines only
"$BIN" compare --help >"$TMP/help"
check "--help: variants time iterations only (failures not simulated); --quiet also drops the note" \
    "grep -q 'timing its\$' '$TMP/help' && grep -q \"^iterations only: a config's failures and resilience sections are not simulated\$\" '$TMP/help' && grep -q 'nor the notes that a config' '$TMP/help' && ! grep -q 'is a full .dtsim run.' '$TMP/help'"
