#!/bin/sh
# t114-memory-capacity.sh -- the GPU memory a plan is checked against, as
# printed and as written: the summary rounded it to whole GiB, so a stage
# needing 74.8 GiB on an 80 GB A100 (74.5 GiB) read "74.8 GiB per GPU (max
# over stages, GPU has 75 GiB): DOES NOT FIT"; the JSON had no capacity at
# all; the refusal said "but a a100-80g has".
. "$(dirname "$0")/lib-tap.sh"
DEF="$ROOT/configs/experiments/default.json"
set -- --set parallel.schedule=gpipe --set cluster.gpu.efficiency.reserved_memory_GB=2.2
echo 1..4
"$BIN" run "$DEF" "$@" --allow-oom --json "$TMP/r.json" >"$TMP/out" 2>/dev/null
check "summary: 74.8 GiB needed, the GPU's 74.5 GiB printed as such" \
    "grep -q '^  peak memory         74.8 GiB per GPU (max over stages, GPU has 74.5 GiB): DOES NOT FIT\$' '$TMP/out'"
check "JSON: gpu_memory_bytes = 80 GB, below peak_memory_bytes, fits_in_memory false" \
    "near '$(jget gpu_memory_bytes "$TMP/r.json")' 8e10 1 && awk -v p='$(jget peak_memory_bytes "$TMP/r.json")' 'BEGIN { exit !(p > 8e10) }' && grep -q '\"fits_in_memory\":	false' '$TMP/r.json'"
"$BIN" run "$DEF" "$@" >/dev/null 2>"$TMP/err"
check "the refusal: 'but the a100-80g has 74.5 GiB'" \
    "grep -q 'needs 74.8 GiB per GPU .* but the a100-80g has 74.5 GiB; ' '$TMP/err'"
"$BIN" run "$ROOT/tests/data/configs/abstract.json" --quiet --json "$TMP/a.json" 2>/dev/null
check "abstract model (no GPU spec): no gpu_memory_bytes" "! grep -q gpu_memory_bytes '$TMP/a.json'"
