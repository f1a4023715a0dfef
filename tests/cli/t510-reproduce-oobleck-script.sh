#!/bin/sh
# t510-reproduce-oobleck-script.sh -- scripts/reproduce/oobleck (its artifact
# and table parts; the SimGrid part is t502's and the script's own):
#   - the artifact replay is printed beside the artifact simulator's output
#     (tests/data/oobleck_sim_results.csv) with the count of values within 1%;
#   - the paper's trend is checked and reported (it used to be only stated);
#     a dtsim whose Oobleck gains throughput at a removal every 10 min makes
#     it DOES NOT HOLD with exit status 1;
#   - a failed run stops the script with a message on stderr, also in the
#     SimGrid part, whose stderr was thrown away (exit 1, no message).
. "$(dirname "$0")/lib-tap.sh"
S=$ROOT/scripts/reproduce/oobleck
echo 1..8
if [ -n "${DTSIM_SANITIZE:-}" ]; then
    for i in $(seq 1 8); do echo "ok $i # SKIP tests the script, not the binary (t500-t502 run dtsim resilience under ASan); run by make check"; done
    exit 0
fi
(cd "$TMP" && OOBLECK_MODELS=GPT-3-2_7b OOBLECK_MODES="artifact table" "$S" >"$TMP/out" 2>"$TMP/err")
rc=$?
check "GPT-3 2.7B, artifact and table: exit status 0 ($rc)" "[ $rc -eq 0 ]"
check "the 6h row shows dtsim's and the artifact's Oobleck samples/s (7.2902 both)" \
    "grep -q '^6h  *7.2902  *7.2902  *+0.0%' '$TMP/out'"
check "the values within 1% of the artifact are counted (19 of 21)" \
    "grep -q 'samples/s within 1% of the artifact: 19 of 21 (7 of them 0 in both: cannot run); outside: varuna scale_gcp-trace' '$TMP/out'"
check "the trend is checked in both tables" \
    "[ \$(grep -c 'trend Oobleck degrades gracefully.*: holds' '$TMP/out') -eq 2 ] && grep -q '^oobleck: every trend holds' '$TMP/out'"

# a dtsim whose Oobleck runs at 99 samples/s on the 10-minute trace
cat >"$TMP/gain" <<EOF
#!/bin/sh
c=3; case "\$*" in *--artifact*) c=2 ;; esac
case "\$*" in
*/10m.csv*) "$BIN" "\$@" | awk -v c=\$c '\$1 == "oobleck" { \$c = "99.000" } { print }' ;;
*) exec "$BIN" "\$@" ;;
esac
EOF
chmod +x "$TMP/gain"
OOBLECK_MODELS=GPT-3-2_7b OOBLECK_MODES=table DTSIM_BIN=$TMP/gain "$S" >"$TMP/gout" 2>&1
rc=$?
check "Oobleck faster at 10m than at 6h: DOES NOT HOLD, exit status 1 ($rc)" \
    "[ $rc -eq 1 ] && grep -q 'degrades gracefully.*DOES NOT HOLD' '$TMP/gout' && grep -q '^oobleck: a trend does not hold' '$TMP/gout'"

printf '#!/bin/sh\necho "fake dtsim: no plan" >&2\nexit 1\n' >"$TMP/fail"
chmod +x "$TMP/fail"
OOBLECK_MODELS=GPT-3-2_7b OOBLECK_MODES=simgrid DTSIM_BIN=$TMP/fail "$S" >"$TMP/fout" 2>"$TMP/ferr"
rc=$?
check "a failed SimGrid run: exit status 1 ($rc), dtsim's message and the trace on stderr" \
    "[ $rc -eq 1 ] && grep -q 'fake dtsim: no plan' '$TMP/ferr' && grep -q 'failed (GPT-3-2_7b, simgrid, trace 6h)' '$TMP/ferr'"
printf '#!/bin/sh\nexit 0\n' >"$TMP/silent"
chmod +x "$TMP/silent"
OOBLECK_MODELS=GPT-3-2_7b OOBLECK_MODES=table DTSIM_BIN=$TMP/silent "$S" >"$TMP/sout" 2>"$TMP/serr"
rc=$?
check "a dtsim that prints no table: exit status 1 ($rc) and a message, not an empty row" \
    "[ $rc -eq 1 ] && grep -q 'no samples/s for oobleck' '$TMP/serr' && ! grep -q '^6h' '$TMP/sout'"
DTSIM_BIN=$TMP/nonexistent "$S" >"$TMP/nout" 2>"$TMP/nerr"
rc=$?
check "no dtsim: exit status 1 ($rc), told to build it, nothing on stdout" \
    "[ $rc -eq 1 ] && grep -q 'no dtsim at .*: build it with make' '$TMP/nerr' && [ ! -s '$TMP/nout' ]"
