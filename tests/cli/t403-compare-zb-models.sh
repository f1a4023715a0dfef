#!/bin/sh
# t403-compare-zb-models.sh -- the trends of Zero Bubble PP (Qi et al., ICLR'24,
# Sec. 5) on its four models (configs/papers/zero_bubble, m = 4p):
#   samples/s ZB-2p > ZB-1p > 1F1B; bubble rate 1F1B > ZB-1p >= ZB-2p;
#   peak activation memory: ZB-2p 2x 1F1B in microbatches (2p vs p, paper Table 1
#   memory model), ZB-V 1x in microbatches, ~1x in bytes (ZB-V: 28.3B has no
#   2-chunk split, 62 layers < 64 virtual stages). In bytes the ZB-2p ratio is at least 1.6 and at most
#   2p/(p-1): 1F1B's largest stage is stage 1 (p-1 microbatches of a full stage;
#   stage 0 holds p of a stage one layer lighter) and ZB-2p holds at most 2p
#   microbatches of a full stage: 2.29 at p = 8, 2.13 at p = 16, 2.06 at p = 32
#   (docs/zero_bubble.md).
. "$(dirname "$0")/lib-tap.sh"
DIR=$ROOT/configs/papers/zero_bubble

echo 1..12
within() { awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v != "" && v >= lo && v <= hi) }'; }
for mp in 1.5b:8 6.2b:8 14.6b:16 28.3b:32; do
    model=${mp%:*} p=${mp#*:}
    "$BIN" compare "$DIR/$model.json" --vary parallel.schedule=1f1b,zb-1p,zb-2p --jobs 2 --quiet \
        --csv "$TMP/$model.csv" >/dev/null 2>"$TMP/$model.err"
    # columns: 1 schedule, 2 iteration, 4 zb_bubble_rate, 5 act bytes, 6 in flight, 10 samples/s/GPU
    col() { awk -F, -v s="$1" -v c="$2" '$1 == s { print $c }' "$TMP/$model.csv"; }
    check "$model: samples/s ZB-2p > ZB-1p > 1F1B, bubble rate 1F1B > ZB-1p >= ZB-2p" \
        "awk 'BEGIN { exit !($(col zb-2p 10) > $(col zb-1p 10) && $(col zb-1p 10) > $(col 1f1b 10) && $(col 1f1b 4) > $(col zb-1p 4) && $(col zb-1p 4) >= $(col zb-2p 4)) }'"
    r=$(awk "BEGIN { print $(col zb-2p 5) / $(col 1f1b 5) }")
    check "$model: ZB-2p holds 2x 1F1B's microbatches, bytes $r in [1.6, 2p/(p-1)]" \
        "near '$(col zb-2p 6)' $((2 * p)) 0 && near '$(col 1f1b 6)' $p 0 && within '$r' 1.6 \$(awk 'BEGIN { print 2 * $p / ($p - 1) + 1e-9 }')"
    [ -f "$DIR/$model-v2.json" ] || continue
    "$BIN" compare "$DIR/$model-v2.json" --vary parallel.schedule=zb-v --quiet --csv "$TMP/$model-v.csv" \
        >/dev/null 2>&1
    rv=$(awk -F, -v a="$(col 1f1b 5)" 'NR == 2 { print $5 / a }' "$TMP/$model-v.csv")
    mv=$(awk -F, -v a="$(col 1f1b 6)" 'NR == 2 { print $6 / a }' "$TMP/$model-v.csv")
    # in microbatches exactly 1: ZB-V's peak is p, as 1F1B's (SCHEDULES.md §8);
    # in bytes only near 1: the lighter_ends split makes the chunks of the
    # peak's microbatches 1 or 2 layers, so [0.8, 1.25] is a sanity bound,
    # not a derived value (measured 1.095, 1.143, 1.044)
    check "$model: ZB-V 1x 1F1B's microbatches in flight ($mv), ~1x its activation bytes ($rv in [0.8, 1.25])" \
        "within '$rv' 0.8 1.25 && near '$mv' 1 1e-12"
done
check "28.3B has no 2-chunk config (62 layers < 64 virtual stages)" "[ ! -e '$DIR/28.3b-v2.json' ]"
