#!/bin/sh
# t504-resilience-config-trace.sh -- a trace named in the config
# (failures.source = trace) runs to its last line, as --failure-trace does,
# unless failures.duration_h gives a length (docs/resilience.md, `duration_h`);
# random failures keep the 720 h default. (Before, a config trace ran 720 h,
# most of it past the trace's end: on p3-trace ckpt waited 99% of the run.)
. "$(dirname "$0")/lib-tap.sh"
CFG="$ROOT/configs/resilience/example.json"
TRACE="$ROOT/traces/spot/p3-trace.csv"
echo 1..4
# cfg NAME FAILURES: the example's profile and resilience with that failures section
cfg() {
    cat >"$TMP/$1.json" <<JSON
{
  "profile": {
    "layers": 32, "gpus_per_node": 8, "gpu_mem_gb": 80,
    "fwd_ms": 10, "bwd_ms": 20, "tp_efficiency": 0.9,
    "act_mb": 50, "state_mb": 25000, "checkpoint_gb": 120,
    "global_batch": 512, "microbatches": 64, "dp_gbps": 25
  },
  "failures": $2,
  "resilience": { "nodes": 24, "spares": 4, "restart_s": 600,
                  "storage_write_gbps": 1, "storage_read_gbps": 1 }
}
JSON
}
run() { # FILE OUT ARGS...: the table of `dtsim resilience` without its header line
    f=$1 out=$2
    shift 2
    "$BIN" resilience "$f" --quiet --schemes ckpt,oobleck "$@" 2>/dev/null | tail -n +2 >"$out"
}
cfg trace "{ \"source\": \"trace\", \"trace\": \"$TRACE\" }"
run "$TMP/trace.json" "$TMP/a"
run "$CFG" "$TMP/b" --failure-trace "$TRACE"
check "config trace runs to its last line, as --failure-trace does" \
    "[ -s '$TMP/a' ] && cmp -s '$TMP/a' '$TMP/b'"
cfg trace10 "{ \"source\": \"trace\", \"trace\": \"$TRACE\", \"duration_h\": 10 }"
run "$TMP/trace10.json" "$TMP/c"
run "$CFG" "$TMP/d" --failure-trace "$TRACE" --duration-h 10
check "config trace with duration_h 10 = --failure-trace --duration-h 10" \
    "[ -s '$TMP/c' ] && cmp -s '$TMP/c' '$TMP/d' && ! cmp -s '$TMP/a' '$TMP/c'"
w=$(row_col ckpt 11 "$TMP/a")
check "p3-trace, ckpt waits $w < 0.5 of the run (not the 720 h default)" "near '$w' 0 0.5"
cfg random '{ "source": "random", "node_mtbf_h": 144 }'
run "$TMP/random.json" "$TMP/e"
run "$TMP/random.json" "$TMP/f" --duration-h 720
check "random failures keep the 720 h default" "[ -s '$TMP/e' ] && cmp -s '$TMP/e' '$TMP/f'"
