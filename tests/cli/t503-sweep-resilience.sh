#!/bin/sh
# t503-sweep-resilience.sh -- scripts/sweep_resilience.sh: one dtsim
# resilience run per value of a key, one CSV row per value, goodput and
# samples/s per scheme; a bad value stops the sweep with dtsim's error.
. "$(dirname "$0")/lib-tap.sh"
CFG="$ROOT/configs/resilience/example.json"
SWEEP="$ROOT/scripts/sweep_resilience.sh"
echo 1..5
DTSIM_BIN="$BIN" "$SWEEP" "$CFG" failures.job_mtbf_h=24,1 "$TMP/s.csv" -- \
    --set failures.node_mtbf_h=null --duration-h 96 --schemes ckpt,oobleck >"$TMP/out" 2>"$TMP/err"
rc=$?
check "CSV: header with goodput and samples/s per scheme, one row per value" \
    "[ $rc -eq 0 ] && head -1 '$TMP/s.csv' | grep -q '^failures.job_mtbf_h,ckpt_goodput,oobleck_goodput,ckpt_samples_per_s,oobleck_samples_per_s\$' && [ \$(wc -l <'$TMP/s.csv') -eq 3 ]"
# each row equals the scheme's row of the single run with that value
"$BIN" resilience "$CFG" --quiet --set failures.node_mtbf_h=null --duration-h 96 --schemes ckpt,oobleck \
    --set failures.job_mtbf_h=1 >"$TMP/one" 2>/dev/null
g=$(awk '$1 == "ckpt" { print $2 }' "$TMP/one"); s=$(awk '$1 == "oobleck" { print $3 }' "$TMP/one")
check "the row of job_mtbf_h=1 holds that run's ckpt goodput and Oobleck samples/s" \
    "awk -F, -v g='$g' -v s='$s' '\$1 == \"1\" { ok = (\$2 == g && \$5 == s) } END { exit !ok }' '$TMP/s.csv'"
# a job failure every hour costs checkpoint-restart more than one a day does
check "ckpt goodput: MTBF 1 h < MTBF 24 h" \
    "awk -F, 'NR == 2 { a = \$2 } NR == 3 { b = \$2 } END { exit !(b < a) }' '$TMP/s.csv'"
DTSIM_BIN="$BIN" "$SWEEP" "$CFG" failures.job_mtbf_h=3,-1 "$TMP/bad.csv" -- --set failures.node_mtbf_h=null >"$TMP/out" 2>"$TMP/err"
rc=$?
check "a bad value: exit 1 with dtsim's error naming the override" \
    "[ $rc -eq 1 ] && grep -q -- '--set failures.job_mtbf_h=-1: \$.failures.job_mtbf_h: must be > 0' '$TMP/err'"
# --runs N: the 95% half-widths follow the means (the "+/-" rows were dropped)
DTSIM_BIN="$BIN" "$SWEEP" "$CFG" failures.job_mtbf_h=3 "$TMP/r.csv" -- \
    --set failures.node_mtbf_h=null --duration-h 48 --schemes ckpt,oobleck --runs 3 >/dev/null 2>&1
"$BIN" resilience "$CFG" --quiet --set failures.node_mtbf_h=null --duration-h 48 --schemes ckpt,oobleck \
    --runs 3 --set failures.job_mtbf_h=3 >"$TMP/r3" 2>/dev/null
gh=$(awk 'prev == "ckpt" && $1 == "+/-" { print $2 } { prev = $1 }' "$TMP/r3")
sh=$(awk 'prev == "oobleck" && $1 == "+/-" { print $3 } { prev = $1 }' "$TMP/r3")
check "--runs 3: <scheme>_goodput_ci95 and _samples_per_s_ci95 columns hold the run's +/- row" \
    "head -1 '$TMP/r.csv' | grep -q ',ckpt_goodput_ci95,oobleck_goodput_ci95,ckpt_samples_per_s_ci95,oobleck_samples_per_s_ci95\$' && [ -n '$gh' ] && awk -F, -v g='$gh' -v s='$sh' 'NR == 2 { ok = (\$6 == g && \$9 == s && g > 0) } END { exit !ok }' '$TMP/r.csv'"
