#!/bin/sh
# t117-cost-json.sh -- `dtsim cost --json`: the cost model's figures as JSON
# (the text report had no machine-readable form). GPT-3 175B on default.json
# (TP 8, PP 12, 2 chunks per device, microbatch 1, seq 2048, hidden 12288).
. "$(dirname "$0")/lib-tap.sh"
CFG="$ROOT/configs/experiments/default.json"
echo 1..6
"$BIN" cost "$CFG" --json "$TMP/c.json" >"$TMP/text" 2>"$TMP/err"
rc=$?
check "exit 0, the text report still on stdout, nothing on stderr" \
    "[ $rc -eq 0 ] && grep -q '^cost model: gpt3-175b' '$TMP/text' && [ ! -s '$TMP/err' ]"
# one layer's forward: 24 b s h^2 + 4 b s^2 h (Megatron-LM SC'21, eq. 2's
# forward third without the LM head) = 7,627,861,917,696 FLOPs; 4 layers a
# virtual stage over TP 8: 3,813,930,958,848
check "virtual stage 0's forward FLOPs: 4 x (24 b s h^2 + 4 b s^2 h) / 8 = 3813930958848" \
    "[ '$(jget flops "$TMP/c.json")' = 3813930958848 ]"
check "parameters as the text says (174.616B)" \
    "awk -v p='$(jget parameters "$TMP/c.json")' 'BEGIN { exit !(p > 174.6155e9 && p < 174.6165e9) }'"
check "24 virtual stages (12 devices x 2 chunks), 12 devices" \
    "[ \$(grep -c '\"first_layer\":' '$TMP/c.json') -eq 24 ] && [ \$(grep -c '\"params_per_gpu\":' '$TMP/c.json') -eq 12 ]"
"$BIN" cost "$CFG" --json - >"$TMP/out" 2>/dev/null
check "--json -: stdout is the JSON alone" \
    "head -c 1 '$TMP/out' | grep -q '{' && ! grep -q '^cost model' '$TMP/out' && cmp -s '$TMP/out' '$TMP/c.json'"
"$BIN" cost "$CFG" --json "$TMP/no/such/dir.json" >"$TMP/out" 2>"$TMP/err"
rc=$?
check "an unwritable --json: exit 1, the error, no report" \
    "[ $rc -eq 1 ] && grep -q 'cannot write' '$TMP/err' && [ ! -s '$TMP/out' ]"
