#!/bin/sh
# t407-compare-stragglers-errors.sh -- a variant whose "stragglers" section is bad
# is an "invalid" row (the section is checked when the variants are loaded, like
# the rest of the config), blamed on its --vary; one that fails while the
# section is realised for the plan says why in its row, not "see stderr".
. "$(dirname "$0")/lib-tap.sh"
CFG=$ROOT/tests/data/stragglers-abstract.json

echo 1..6
"$BIN" compare "$CFG" --vary 'stragglers.noise.sigma=0.1,3' --quiet >"$TMP/out" 2>"$TMP/err"
rc=$?
check "a bad noise sigma: exit 1" "[ $rc -eq 1 ]"
check "... its row is invalid, blamed on the --vary with the JSON path" \
    "grep -qF 'invalid: --vary stragglers.noise.sigma=3: \$.stragglers.noise.sigma: must be between 0 and 2, got 3' '$TMP/out'"
check "... the other variant is simulated" "grep -q '^0.1 .* ok$' '$TMP/out'"
check "... no message on stderr" "! grep -q 'dtsim' '$TMP/err'"
# 1-token documents in 2^21-token samples: more than 2^24 documents (slow_build)
SL='{"distribution":"uniform","min":1,"max":1,"context":2097152,"packing":"pack"}'
"$BIN" compare "$CFG" --vary "stragglers.seqlen=$SL" --vary parallel.pp=4 --csv - --quiet \
    >"$TMP/csv" 2>"$TMP/err"
rc=$?
check "too many documents: exit 1, the row names the --vary and the JSON path" \
    "[ $rc -eq 1 ] && grep -qF 'failed: --vary stragglers.seqlen=' '$TMP/csv' && grep -qF '\$.stragglers.seqlen: filling the microbatches takes more than 16777216 documents' '$TMP/csv'"
check "... not a pointer to stderr" "! grep -q 'see stderr' '$TMP/csv'"
