#!/bin/sh
# t607-stragglers-seqlen-work.sh -- with sequence lengths (stragglers.seqlen), the
# tokens and FLOPs a run reports are those its microbatches hold, not the
# nominal global batch x seq_len: 1-token samples made a run report 1.02M
# tokens/s and 689 TFLOP/s per H100 (MFU 69.7%).
# Closed form on configs/experiments/straggler-seqlen.json (GPT, 32 layers,
# h = 4096, V = 51200, B = 64 samples of C = s = 8192, GELU MLP 4h, selective
# recomputation), counting GEMM by GEMM as sim/cost.c does: per layer and token
# the weight GEMMs take 24 h^2 FLOPs forward, the attention core 4 s_i h per
# token of a document of s_i tokens (document-masked, 4 h sum s_i^2 per
# sample); the LM head 2 h V per token. Executed = 3x forward + the recomputed
# attention core; model = 3x forward. Documents of exactly 1024 tokens:
#   none (one document per sample):  tokens = 64 x 1024, sum s^2 = 64 x 1024^2
#   pack (8 documents per sample):   tokens = 64 x 8192, sum s^2 = 512 x 1024^2
. "$(dirname "$0")/lib-tap.sh"
CFG=$ROOT/configs/experiments/straggler-seqlen.json

echo 1..8
for p in none pack; do
    "$BIN" run "$CFG" --quiet --json "$TMP/$p.json" --set "stragglers.seqlen={\"distribution\":\"uniform\",\"min\":1024,\"max\":1024,\"packing\":\"$p\"}" 2>/dev/null
    [ $p = none ] && { tok=65536; sq=67108864; } || { tok=524288; sq=536870912; }
    it=$(jget iteration_time_s "$TMP/$p.json")
    tps=$(jget tokens_per_s "$TMP/$p.json")
    ex=$(jget executed_flops_per_iteration "$TMP/$p.json")
    mo=$(jget model_flops_per_iteration "$TMP/$p.json")
    tf=$(jget tflops_per_gpu "$TMP/$p.json")
    want_ex=$(awk -v t=$tok -v q=$sq 'BEGIN { h = 4096; L = 32; V = 51200
        printf "%.17g", L * (3 * 24 * t * h * h + 4 * 4 * q * h) + 3 * 2 * t * h * V }')
    want_mo=$(awk -v t=$tok -v q=$sq 'BEGIN { h = 4096; L = 32; V = 51200
        printf "%.17g", L * (3 * 24 * t * h * h + 3 * 4 * q * h) + 3 * 2 * t * h * V }')
    check "$p: tokens/s x iteration time = $tok tokens" \
        "near \$(awk 'BEGIN { print $tps * $it }') $tok 1e-6"
    check "$p: executed FLOPs of those documents ($want_ex)" \
        "near \$(awk 'BEGIN { print $ex / $want_ex }') 1 1e-12"
    check "$p: model FLOPs ($want_mo)" "near \$(awk 'BEGIN { print $mo / $want_mo }') 1 1e-12"
    check "$p: TFLOP/s per GPU = executed / (time x 64 GPUs)" \
        "near \$(awk 'BEGIN { print $ex / ($it * 64) / 1e12 / $tf }') 1 1e-9"
done
