#!/bin/sh
# t408-compare-stragglers-json.sh -- a variant's "report" in `dtsim compare --json`
# is what `dtsim run --json` writes (docs/compare.md), so with a stragglers
# section it carries the "stragglers" object too: the no-slowness baseline,
# sim_slowdown and the what-if attribution. Closed forms of t602 (p = 4, m = 8,
# F = 1, B = 2): one stage k at 0.5x gives T = 51 + 2k s, the baseline (m+p-1)c = 33 s.
. "$(dirname "$0")/lib-tap.sh"
CFG=$ROOT/tests/data/stragglers-abstract.json

echo 1..6
V='stragglers.devices=[{"gpu":0,"factor":0.5}],[{"gpu":4,"factor":0.5}]'
"$BIN" compare "$CFG" --vary "$V" --quiet --json "$TMP/c1.json" >/dev/null 2>"$TMP/err"
rc=$?
check "compare of two slowed stages: exit 0" "[ $rc -eq 0 ]"
check "... the reports have a stragglers object each" \
    "[ \$(grep -c '\"stragglers\":' '$TMP/c1.json') -eq 2 ]"
check "... baseline 33 s, sim_slowdown 51/33 then 55/33" \
    "[ \"\$(sed -n 's/^[[:space:]]*\"baseline_iteration_s\":[[:space:]]*//p' '$TMP/c1.json' | tr -d , | tr '\n' ' ')\" = '33 33 ' ] &&
     [ \"\$(sed -n 's/^[[:space:]]*\"sim_slowdown\":[[:space:]]*//p' '$TMP/c1.json' | tr -d , | awk '{ printf \"%.6f \", \$1 }')\" = '1.545455 1.666667 ' ]"
"$BIN" run "$CFG" --set 'stragglers.devices=[{"gpu":4,"factor":0.5}]' --json "$TMP/r.json" \
    --quiet 2>/dev/null
# the report's keys are 4 tabs deep in compare's JSON, 1 tab in run's
TAB=$(printf '\t')
awk -v t="$TAB" '/"report":/ { n++; if (n == 2) { on = 1; next } }
    on && $0 == t t t "}" { exit } on { sub("^" t t t, ""); print }' "$TMP/c1.json" >"$TMP/a"
sed '1d;$d' "$TMP/r.json" >"$TMP/b"
check "... the second report equals dtsim run --json's (but for the indentation)" \
    "[ -s '$TMP/a' ] && cmp -s '$TMP/a' '$TMP/b'"
"$BIN" compare "$CFG" --vary "$V" --set 'stragglers.noise={"sigma":0.2}' --quiet --jobs 2 \
    --json "$TMP/n2.json" >/dev/null 2>&1
"$BIN" compare "$CFG" --vary "$V" --set 'stragglers.noise={"sigma":0.2}' --quiet --jobs 1 \
    --json "$TMP/n1.json" >/dev/null 2>&1
check "with noise: the what-if is in the report (fb_corr)" "grep -q '\"fb_corr\":' '$TMP/n1.json'"
check "... byte-identical for --jobs 1 and 2" "cmp -s '$TMP/n1.json' '$TMP/n2.json'"
