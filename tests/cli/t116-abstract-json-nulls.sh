#!/bin/sh
# t116-abstract-json-nulls.sh -- the JSON report of an abstract model has no
# tokens, FLOPs or bytes, as its summary (and compare's '-' cells) say: they
# are null. They were 0 (tflops_per_gpu, mfu, peak_memory_bytes, ...) and
# tokens_per_s was the samples/s, numbers a plotting script would take.
. "$(dirname "$0")/lib-tap.sh"
ABS="$ROOT/tests/data/configs/abstract.json"
echo 1..3
"$BIN" run "$ABS" --quiet --json "$TMP/a.json" 2>/dev/null
check "tokens, TFLOP/s, MFU, HFU, memory and FLOPs are null" \
    "( for k in tokens_per_s tflops_per_gpu mfu hfu peak_memory_bytes executed_flops_per_iteration model_flops_per_iteration; do grep -q \"^	\\\"\$k\\\":	null,\\\$\" '$TMP/a.json' || exit 1; done ) && grep -q '^		\"memory_bytes\":	null,\$' '$TMP/a.json'"
check "samples/s and the times are numbers (8 samples / 33 s)" \
    "near '$(jget samples_per_s "$TMP/a.json")' 0.242424242424 1e-9 && near '$(jget iteration_time_s "$TMP/a.json")' 33 1e-9"
"$BIN" run "$ROOT/configs/experiments/default.json" --quiet --json "$TMP/d.json" 2>/dev/null
check "a transformer: those are numbers" \
    "[ -n '$(jget tokens_per_s "$TMP/d.json")' ] && [ -n '$(jget mfu "$TMP/d.json")' ] && ! grep -q null '$TMP/d.json'"
