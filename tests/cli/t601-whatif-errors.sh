#!/bin/sh
# t601-whatif-errors.sh -- `dtsim whatif` on bad input: one line naming the file
# and the line, exit 1; usage errors exit 2.
. "$(dirname "$0")/lib-tap.sh"
HDR=dp_rank,stage,rank,step,optype,start_ts,duration,seq_id,mc,mb_id,gmc
ROW=0,0,0,1,forward-compute,0,1,0,0,0,0

# run FILE: runs the binary, leaves status in $rc and stderr in $TMP/err
run() { "$BIN" whatif "$@" >"$TMP/out" 2>"$TMP/err"; rc=$?; }
one_line() { [ "$(wc -l <"$TMP/err")" -eq 1 ]; }

echo 1..13
printf '%s\n%s\n0,0,0,1,forward-computer,1,1,1,0,1,0\n' "$HDR" "$ROW" >"$TMP/badtype.csv"
run "$TMP/badtype.csv"
check "unknown op type: exit 1, one line with file:3" \
    "[ $rc -eq 1 ] && one_line && grep -q '$TMP/badtype.csv:3: .*unknown op type' '$TMP/err'"

printf '%s\n%s\n%s\n0,0,0,1,optimizer,abc,1,0,-1,-1,-1\n' "$HDR" "$ROW" "$ROW" >"$TMP/nonnum.csv"
run "$TMP/nonnum.csv"
check "non-numeric start: exit 1 with file:4" \
    "[ $rc -eq 1 ] && one_line && grep -q 'nonnum.csv:4: column start_ts' '$TMP/err'"

printf '%s\n0,0,0,1,optimizer,1,1,0,-1\n' "$HDR" >"$TMP/cols.csv"
run "$TMP/cols.csv"
check "wrong column count: file:2" "[ $rc -eq 1 ] && grep -q 'cols.csv:2: expected 11 columns, found 9' '$TMP/err'"

printf '%s\n' "$ROW" >"$TMP/nohdr.csv"
run "$TMP/nohdr.csv"
check "missing header: file:1" "[ $rc -eq 1 ] && grep -q 'nohdr.csv:1: missing header' '$TMP/err'"

printf '%s\n%s\n%s\n' "$HDR" "$ROW" "$ROW" >"$TMP/dup.csv"
run "$TMP/dup.csv"
check "duplicate op: file:3" "[ $rc -eq 1 ] && one_line && grep -q 'dup.csv:3: duplicate op' '$TMP/err'"

run "$TMP/absent.csv"
check "missing file: exit 1, names it" "[ $rc -eq 1 ] && grep -q 'absent.csv: No such file' '$TMP/err'"

run "$TMP/dup.csv" --bogus
check "unknown option: exit 2" "[ $rc -eq 2 ]"
# was "unknown or incomplete option '--top'" and the whole help on stderr
run "$TMP/dup.csv" --top
check "--top without its value (last argument): says so, exit 2" \
    "[ $rc -eq 2 ] && head -1 '$TMP/err' | grep -q '^dtsim whatif: --top needs a value\$' && [ \$(wc -l <'$TMP/err') -eq 2 ]"
run
check "no trace: exit 2" "[ $rc -eq 2 ]"

# A large microbatch id is legal; the forward/backward pairing indexed a
# dense array by it (16 TB for 999999999: "out of memory", an ASan abort)
awk -F, 'BEGIN { OFS = "," } NR == 2 { $10 = 999999999 } { print }' \
    "$ROOT/traces/stragglers/trace-ST.csv" >"$TMP/bigmb.csv"
run "$TMP/bigmb.csv" --json "$TMP/bigmb.json"
check "microbatch id 999999999: analysed (exit 0, a report)" "[ $rc -eq 0 ] && grep -q '\"slowdown\"' '$TMP/bigmb.json'"
# a spreadsheet's UTF-8 byte-order mark before the header was "missing header"
{ printf '\357\273\277'; cat "$ROOT/traces/stragglers/trace-ST.csv"; } >"$TMP/bom.csv"
run "$TMP/bom.csv"
check "a byte-order mark before the header is skipped" "[ $rc -eq 0 ] && grep -q '32 steps' '$TMP/out'"
# /dev/zero (no end, no newline) grew memory until it ran out
run /dev/zero
check "an endless file (/dev/zero): refused at a 1 MiB line" \
    "[ $rc -eq 1 ] && grep -qx 'dtsim whatif: /dev/zero: a line longer than 1 MiB: not a per-op trace' '$TMP/err'"
# every duration 0: S = 0/0 printed -nan, the launch slowdown inf, exit 0
awk -F, 'BEGIN { OFS = "," } NR > 1 { $7 = 0 } { print }' \
    "$ROOT/traces/stragglers/trace-ST.csv" >"$TMP/zero.csv"
run "$TMP/zero.csv" --json "$TMP/zero.json"
check "every duration 0: one error line naming the file, exit 1, no nan/inf anywhere" \
    "[ $rc -eq 1 ] && one_line && grep -qx 'dtsim whatif: $TMP/zero.csv: every op duration is 0: nothing to analyse' '$TMP/err' && ! grep -qi 'nan\\|inf' '$TMP/out' && [ ! -s '$TMP/zero.json' ]"
