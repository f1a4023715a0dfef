#!/bin/sh
# t402-activation-memory.sh -- the activation-memory counter of the trace and
# the JSON report agree for every schedule: per stage, the counter's peak in
# microbatches is stages.peak_inflight_microbatches and its peak in bytes is
# stages.activation_bytes (both follow sched_mem_profile's convention; the V
# family and interleaved count chunk activations, each chunk with its own
# bytes). Model: the ZB paper's 6.2B (configs/papers/zero_bubble), p = 8, with
# 16 microbatches; its layer split (lighter_ends) gives chunks of 1 and 2
# layers under the 2-chunk placements, so a per-chunk weighting error shows.
. "$(dirname "$0")/lib-tap.sh"
DIR=$ROOT/configs/papers/zero_bubble

# "stage value" lines: the largest counter value of each stage in trace $1 for
# argument $2 (microbatches or bytes)
trace_peaks() {
    awk -v key="\"$2\":" '/"name":"activations stage / {
        s = $0; sub(/.*"activations stage /, "", s); sub(/".*/, "", s)
        v = $0; sub(".*" key, "", v); sub(/[,}].*/, "", v)
        if (!(s in m) || v + 0 > m[s]) m[s] = v + 0
    } END { for (s in m) print s, m[s] }' "$1" | sort -n
}
# "stage value" lines of the JSON array stages.$2 in report $1
json_stages() {
    awk -v key="\"$2\":" 'index($0, key) {
        s = $0; sub(/.*\[/, "", s); sub(/\].*/, "", s)
        n = split(s, a, ","); for (i = 1; i <= n; i++) print i - 1, a[i] + 0
    }' "$1"
}
# same stages, values within a relative 'tol' (the trace prints 6 digits)
agree() {
    join "$1" "$2" | awk -v t="$3" 'BEGIN { ok = 0 } { n++; d = $2 - $3; if (d < 0) d = -d
        if (d > t * ($3 > 1 ? $3 : 1)) bad = 1 } END { exit !(n == 8 && !bad) }'
}

echo 1..10
for s in gpipe 1f1b interleaved zb-h1 zb-h2 zb-1p zb-2p zb-v v-half v-min; do
    case $s in interleaved|zb-v|v-half|v-min) cfg=$DIR/6.2b-v2.json ;; *) cfg=$DIR/6.2b.json ;; esac
    "$BIN" run "$cfg" --set parallel.schedule=$s --set parallel.global_batch_size=48 --allow-oom \
        --quiet --json "$TMP/$s.json" --trace "$TMP/$s.trace" 2>/dev/null
    trace_peaks "$TMP/$s.trace" microbatches >"$TMP/tm"
    json_stages "$TMP/$s.json" peak_inflight_microbatches >"$TMP/jm"
    trace_peaks "$TMP/$s.trace" bytes >"$TMP/tb"
    json_stages "$TMP/$s.json" activation_bytes >"$TMP/jb"
    check "$s: trace counter peaks = JSON peak_inflight_microbatches and activation_bytes" \
        "agree '$TMP/tm' '$TMP/jm' 1e-9 && agree '$TMP/tb' '$TMP/jb' 1e-5"
done
