#!/bin/sh
# t600-whatif-st.sh -- `dtsim whatif` on the OSDI'25 ST sample trace: the summary
# and the JSON report carry the upstream numbers (traces/stragglers/README.md:
# S = 1.178702, M_S = 1.2194, M_W = 0.0314, stage 3 S = 1.2323).
. "$(dirname "$0")/lib-tap.sh"
TRACE=$ROOT/traces/stragglers/trace-ST.csv

echo 1..10
"$BIN" whatif "$TRACE" >"$TMP/out" 2>"$TMP/err"
check "exit status 0" "[ $? -eq 0 ] && [ ! -s '$TMP/err' ]"
S=$(awk '$1 == "S" && $2 == "(slowdown)" { print $3 }' "$TMP/out")
check "summary prints S = 1.178702 (README)" "near '$S' 1.178702 2e-6"
MS=$(awk '$1 == "M_S" { print $2 }' "$TMP/out")
check "summary prints M_S = 1.2194 (README)" "near '$MS' 1.2194 1e-4"
MW=$(awk '$1 == "M_W" { print $2 }' "$TMP/out")
check "summary prints M_W = 0.0314 and rank 7 (README)" "near '$MW' 0.0314 1e-4 && grep -q 'workers: rank 7\$' '$TMP/out'"
S3=$(awk '$1 == "stage" && $2 == 3 { print $3 }' "$TMP/out")
check "stage 3 slowdown 1.2323 (README)" "near '$S3' 1.2323 1e-4"

"$BIN" whatif "$TRACE" --json "$TMP/r.json" >/dev/null 2>"$TMP/err"
check "--json FILE exits 0" "[ $? -eq 0 ] && [ -s '$TMP/r.json' ]"
missing=""
for k in trace n_steps slowdown waste_frac t_s t_ideal_s t_base_s launch_slowdown ideal_op_s \
         slowdown_by_optype slowdown_by_stage slowdown_by_dp_rank ms mw steps workers \
         t_rem_s t_add_s rem add ranks score slowdown_alone; do
    grep -q "\"$k\":" "$TMP/r.json" || missing="$missing $k"
done
check "JSON has every key (missing:$missing)" "[ -z '$missing' ]"
JS=$(awk -F'[:,]' '/^\t"slowdown":/ { gsub(/[ \t]/, "", $2); print $2 }' "$TMP/r.json")
check "JSON slowdown = 1.178702" "near '$JS' 1.178702 2e-6"

"$BIN" whatif "$TRACE" --json - >"$TMP/stdout.json"
check "--json - writes only JSON to stdout" "[ \"\$(head -c 1 '$TMP/stdout.json')\" = '{' ] && cmp -s '$TMP/stdout.json' '$TMP/r.json'"

"$BIN" whatif --help >"$TMP/help"
check "--help exits 0 and shows usage" "[ $? -eq 0 ] && grep -q '^usage: dtsim whatif' '$TMP/help'"
