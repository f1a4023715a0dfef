#!/bin/sh
# t404-reproduce-zb-script.sh -- scripts/reproduce/zero_bubble (m = 4p only,
# ZB_M=middle) with a dtsim that leaves a schedule out of compare's CSV:
#   - a missing ZB-V or interleaved row on a model that has a 2-chunk config
#     is MISSING and fails the run (it was printed "n/a" and the ZB-V memory
#     trend skipped, exit 0 with "every trend holds");
#   - a missing 1F1B fails every model (it was "n/a" with the samples/s trend
#     reported as holding and ratios of inf);
#   - the header says the ZB-2p check is in microbatches, as it is done (it
#     said "activation memory ... within [1.6, 2.2]" while the byte ratio of
#     6.2B, 2.29, is outside).
. "$(dirname "$0")/lib-tap.sh"
S=$ROOT/scripts/reproduce/zero_bubble
echo 1..7
if [ -n "${DTSIM_SANITIZE:-}" ]; then
    for i in $(seq 1 7); do echo "ok $i # SKIP tests the script (26 simulations per run, 4 runs); run by make check"; done
    exit 0
fi
ZB_M=middle "$S" >"$TMP/out" 2>&1
rc=$?
check "m = 4p: exit status 0 ($rc), every trend holds" "[ $rc -eq 0 ] && grep -q '^zero_bubble: every trend holds' '$TMP/out'"
check "28.3B's 2-chunk schedules are n/a (no split over 2p virtual stages)" \
    "[ \$(grep -c 'n/a: no split over 2p virtual stages' '$TMP/out') -eq 2 ]"
check "the header states the ZB-2p check in microbatches" \
    "grep -q \"ZB-2p ~2x 1F1B's peak microbatches in flight\" '$TMP/out'"
# DROP=SCHEDULE: run dtsim, then delete that schedule's rows from the --csv file
cat >"$TMP/drop" <<EOS
#!/bin/sh
"$BIN" "\$@"; rc=\$?
prev=""; f=""
for a in "\$@"; do [ "\$prev" = --csv ] && f=\$a; prev=\$a; done
[ -n "\$f" ] && { grep -v ",\$DROP," "\$f" >"\$f.tmp"; mv "\$f.tmp" "\$f"; }
exit \$rc
EOS
chmod +x "$TMP/drop"
DROP=zb-v ZB_M=middle DTSIM_BIN=$TMP/drop "$S" >"$TMP/v" 2>&1
rc=$?
check "ZB-V missing: exit status 1 ($rc), MISSING on the 3 models with a 2-chunk config" \
    "[ $rc -eq 1 ] && [ \$(grep -c 'zb-v  *MISSING' '$TMP/v') -eq 3 ] && ! grep -q 'every trend holds' '$TMP/v'"
DROP=interleaved ZB_M=middle DTSIM_BIN=$TMP/drop "$S" >"$TMP/i" 2>&1
rc=$?
check "interleaved missing: exit status 1 ($rc)" "[ $rc -eq 1 ] && grep -q 'interleaved  *MISSING' '$TMP/i'"
DROP=1f1b ZB_M=middle DTSIM_BIN=$TMP/drop "$S" >"$TMP/o" 2>&1
rc=$?
check "1F1B missing: exit status 1 ($rc), no trend reported as holding, no inf ratio" \
    "[ $rc -eq 1 ] && ! grep -q -e ': holds' -e inf '$TMP/o' && [ \$(grep -c 'cannot be checked' '$TMP/o') -eq 4 ]"
DTSIM_BIN=$TMP/nonexistent "$S" >"$TMP/nout" 2>"$TMP/nerr"
rc=$?
check "no dtsim: exit status 1 ($rc), told to build it, nothing on stdout" \
    "[ $rc -eq 1 ] && grep -q 'no dtsim at .*: build it with make' '$TMP/nerr' && [ ! -s '$TMP/nout' ]"
