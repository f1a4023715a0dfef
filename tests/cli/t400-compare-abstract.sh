#!/bin/sh
# t400-compare-abstract.sh -- `dtsim compare` over the 7 schedules of issue #4 on
# an abstract 16-stage pipeline (p = 16, m = 64, T_F = T_B = T_W = 1 s, free
# communication). Expected values are the closed forms of SCHEDULES.md:
#   1F1B        iteration 3(m+p-1) = 237 s, bubble (p-1)/(m+p-1) = 15/79, peak p = 16
#   interleaved (v = 2) bubble (p-1)(T_F+T_B+T_W)/v = 22.5 s: iteration 214.5 s,
#               peak p + (p-1)/v = 23.5 stage units (§5)
#   ZB-H1       bubble per device span (p-1)(T_F+T_B-T_W) = 15 s = 1/3 of 1F1B's 45 s,
#               peak p (§6)
#   ZB-H2       bubble per span 0, peak 2p-1 = 31 (§6)
#   ZB-V        bubble 0 (m >= 2p-1), peak p = 16 (§8)
#   V-Half      bubble ~1/2 of 1F1B's, peak floor((p+2)/2) = 9 (§9)
#   V-Min       bubble ~2/3 of 1F1B's, peak floor((p+4)/3) = 6 (§9)
# "bubble time" below is the ZB papers' rate times the iteration: the longest
# device span minus a device's busy time (equal for every device here).
. "$(dirname "$0")/lib-tap.sh"
CFG=$ROOT/tests/data/compare-abstract16.json
SCHEDS=1f1b,interleaved,zb-h1,zb-h2,zb-v,v-half,v-min
echo 1..20
"$BIN" compare "$CFG" --vary parallel.schedule=$SCHEDS --csv "$TMP/j1.csv" \
    >"$TMP/j1.txt" 2>"$TMP/j1.err"
rc=$?
check "exit status 0" "[ $rc -eq 0 ]"
check "table: a header and 7 rows in variant order" \
    "[ \"\$(awk 'NR > 1 { printf \"%s,\", \$1 }' '$TMP/j1.txt')\" = '$SCHEDS,' ]"
check "progress on stderr: variant 7 of 7" "grep -q 'variant 7 of 7 (parallel.schedule=v-min)' '$TMP/j1.err'"

# CSV columns: 1 schedule, 2 iteration_time_s, 3 bubble_fraction, 4 zb_bubble_rate,
# 6 peak_inflight_microbatches, 12 status
col() { awk -F, -v s="$1" -v c="$2" '$1 == s { print $c }' "$TMP/j1.csv"; }
check "CSV parses: 8 lines of 12 fields" \
    "[ \"\$(awk -F, '{ print NF }' '$TMP/j1.csv' | sort -u)\" = 12 ] && [ \$(wc -l <'$TMP/j1.csv') -eq 8 ]"
check "1F1B: iteration 237 s, bubble fraction 15/79" \
    "near '$(col 1f1b 2)' 237 1e-9 && near '$(col 1f1b 3)' 0.189873417722 1e-9"
check "interleaved: iteration 214.5 s, peak 23.5 stage units" \
    "near '$(col interleaved 2)' 214.5 1e-9 && near '$(col interleaved 6)' 23.5 0"
bub() { awk -v r="$(col "$1" 4)" -v t="$(col "$1" 2)" 'BEGIN { print r * t }'; }
check "ZB-H1: bubble 15 s = 1/3 of 1F1B's 45 s" \
    "near '$(bub 1f1b)' 45 1e-6 && near '$(bub zb-h1)' 15 1e-6"
check "ZB-H2 and ZB-V: zero bubble (ZB rate)" "near '$(col zb-h2 4)' 0 1e-9 && near '$(col zb-v 4)' 0 1e-9"
check "V-Half ~1/2 and V-Min ~2/3 of 1F1B's bubble (within [0.4,0.6], [0.55,0.75])" \
    "near '$(bub v-half)' 22.5 4.5 && near '$(bub v-min)' 29.25 4.5"
check "order of the ZB rate: 1F1B > V-Min > V-Half > ZB-H1 > ZB-H2 = ZB-V = 0" \
    "awk 'BEGIN { exit !($(col 1f1b 4) > $(col v-min 4) && $(col v-min 4) > $(col v-half 4) && $(col v-half 4) > $(col zb-h1 4) && $(col zb-h1 4) > $(col zb-h2 4)) }'"
check "peak microbatches in flight: 16 16 31 16 9 6" \
    "[ \"$(col 1f1b 6) $(col zb-h1 6) $(col zb-h2 6) $(col zb-v 6) $(col v-half 6) $(col v-min 6)\" = '16 16 31 16 9 6' ]"

"$BIN" compare "$CFG" --vary parallel.schedule=$SCHEDS --csv "$TMP/j2.csv" --jobs 2 \
    >"$TMP/j2.txt" 2>/dev/null
check "--jobs 2: table and CSV byte-identical to --jobs 1" \
    "cmp -s '$TMP/j1.txt' '$TMP/j2.txt' && cmp -s '$TMP/j1.csv' '$TMP/j2.csv'"

# two keys: cartesian product, the first --vary slowest; --quiet: no progress
# lines (stderr may hold sanitizer notes, so only dtsim's own lines are checked)
"$BIN" compare "$CFG" --vary parallel.schedule=1f1b,zb-h1 --vary parallel.global_batch_size=32,64 \
    --csv - --quiet >"$TMP/x.csv" 2>"$TMP/x.err"
check "2 x 2 variants in order, 1F1B m = 32: bubble 15/47" \
    "[ \"\$(awk -F, 'NR > 1 { printf \"%s/%s \", \$1, \$2 }' '$TMP/x.csv')\" = '1f1b/32 1f1b/64 zb-h1/32 zb-h1/64 ' ] && near \"\$(awk -F, 'NR == 2 { print \$4 }' '$TMP/x.csv')\" 0.319148936170 1e-9 && ! grep -q '^dtsim' '$TMP/x.err'"

"$BIN" compare "$CFG" --vary parallel.shedule=1f1b,zb-h1 >"$TMP/bad.txt" 2>"$TMP/bad.err"
rc=$?
check "bad --vary key: exit 1, one error naming the key, no table" \
    "[ $rc -eq 1 ] && [ \$(wc -l <'$TMP/bad.err') -eq 1 ] && grep -q \"^dtsim: --vary parallel.shedule: \\\$.parallel.shedule: unknown key 'shedule'\" '$TMP/bad.err' && [ ! -s '$TMP/bad.txt' ]"

printf '{\n  "model": { "kind": "abstract", "t_f": 1, "t_b": 1 },\n  "parallel": { "pp": 4 "x": 1 }\n}\n' \
    >"$TMP/broken.json"
"$BIN" compare "$TMP/broken.json" --vary parallel.schedule=1f1b,zb-h1 >"$TMP/mal.txt" 2>"$TMP/mal.err"
rc=$?
check "malformed config: exit 1, one error with file, line and column, no table" \
    "[ $rc -eq 1 ] && [ \$(wc -l <'$TMP/mal.err') -eq 1 ] && grep -q 'broken.json: malformed JSON at line 3, column 25' '$TMP/mal.err' && [ ! -s '$TMP/mal.txt' ]"

"$BIN" compare "$CFG" --vary parallel.schedule=1f1b,zb-h9 --quiet >"$TMP/val.txt" 2>/dev/null
rc=$?
check "bad value: its row says why, the others are simulated, exit 1" \
    "[ $rc -eq 1 ] && grep -q '^1f1b .* ok\$' '$TMP/val.txt' && grep -q '^zb-h9 .*invalid: --vary parallel.schedule=zb-h9: \$.parallel.schedule: unknown schedule' '$TMP/val.txt'"

"$BIN" compare "$ROOT/configs/experiments/straggler-paper-injected.json" --vary parallel.pp=3,5 \
    --set engine.iterations=1 >"$TMP/cross.txt" 2>/dev/null
rc=$?
check "a cross-key error a --vary causes: its row names the file with the --vary (and the --set under the same path only)" \
    "[ $rc -eq 1 ] && grep -q '^3 .*invalid: .*injected.json with --vary parallel.pp=3: \\\$.parallel: tp\\*pp\\*dp = 4\\*3\\*4' '$TMP/cross.txt'"

"$BIN" compare "$CFG" >/dev/null 2>&1; a=$?
"$BIN" compare "$CFG" --vary parallel.pp=[1,2 >/dev/null 2>&1; b=$?
"$BIN" compare "$CFG" --vary parallel.pp=2,,4 >/dev/null 2>&1; c=$?
"$BIN" compare "$CFG" --vary parallel.pp=2 --jobs 0 >/dev/null 2>&1; d=$?
check "usage errors exit 2: no --vary, unbalanced bracket, empty value, --jobs 0" \
    "[ $a$b$c$d = 2222 ]"
# both were accepted: a key with an empty part (read as parallel.pp, and
# each row said "invalid"), and one variant twice
"$BIN" compare "$CFG" --vary parallel..pp=2,4 >"$TMP/out" 2>"$TMP/err"; a=$?
check "--vary key with an empty part: usage error naming the key" \
    "[ $a -eq 2 ] && grep -q \"^dtsim compare: --vary key 'parallel..pp' has an empty part\$\" '$TMP/err' && [ ! -s '$TMP/out' ]"
"$BIN" compare "$CFG" --vary parallel.pp=2,4,2 >"$TMP/out" 2>"$TMP/err"; a=$?
check "--vary value given twice: usage error naming it" \
    "[ $a -eq 2 ] && grep -q \"^dtsim compare: --vary parallel.pp: value '2' is given twice\$\" '$TMP/err' && [ ! -s '$TMP/out' ]"
