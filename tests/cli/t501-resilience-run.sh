#!/bin/sh
# t501-resilience-run.sh -- `dtsim resilience CONFIG`: the run engine on an
# analytic profile: table, determinism, --runs intervals, CSV series, and
# bad failure configs / traces (file, JSON path or line number).
. "$(dirname "$0")/lib-tap.sh"
CFG="$ROOT/configs/resilience/example.json"

# edited NAME SED [ARGS]: run the example config edited by SED (saved as
# $TMP/NAME.json) with ARGS; stdout in $TMP/out, stderr in $TMP/err, status in rc
edited() {
    name=$1 expr=$2
    shift 2
    sed "$expr" "$CFG" >"$TMP/$name.json"
    "$BIN" resilience "$TMP/$name.json" --quiet "$@" >"$TMP/out" 2>"$TMP/err"
    rc=$?
}

echo 1..51
"$BIN" resilience "$CFG" --quiet --duration-h 240 --csv "$TMP/s.csv" --json "$TMP/r.json" >"$TMP/a" 2>"$TMP/err"
rc=$?
check "runs all five schemes" "[ $rc -eq 0 ] && [ \$(grep -c -E '^(ckpt|inmem|oobleck|bamboo|varuna) ' '$TMP/a') -eq 5 ]"
# every row's buckets (columns 5..11) add up to 1 (every second accounted for)
check "time fractions add up to 1" "awk 'NR > 2 && !NF { exit } NR > 2 { s = 0; for (i = 5; i <= 11; i++) s += \$i; if (s < 0.999 || s > 1.001) bad = 1 } END { exit bad }' '$TMP/a'"
check "goodput = useful fraction" "awk 'NR > 2 && !NF { exit } NR > 2 && \$2 != \$5 { bad = 1 } END { exit bad }' '$TMP/a'"
"$BIN" resilience "$CFG" --quiet --duration-h 240 >"$TMP/b" 2>/dev/null
check "same seed: identical output" "cmp -s '$TMP/a' '$TMP/b'"
"$BIN" resilience "$CFG" --quiet --duration-h 240 --seed 5 >"$TMP/c" 2>/dev/null
check "another seed: different output" "! cmp -s '$TMP/a' '$TMP/c'"
check "CSV: header and one column per scheme" "head -1 '$TMP/s.csv' | grep -q '^time_h,ckpt,inmem,oobleck,bamboo,varuna\$' && [ \$(wc -l <'$TMP/s.csv') -gt 100 ]"
"$BIN" resilience "$CFG" --quiet --duration-h 48 --runs 4 --schemes ckpt,oobleck >"$TMP/d" 2>/dev/null
check "--runs: mean and 95% interval rows" "grep -q '^  +/-' '$TMP/d' && grep -q 'seeds 1..4' '$TMP/d'"
edited neg 's/"node_mtbf_h": 144/"node_mtbf_h": -144/'
check "negative rate: file and JSON path" "[ $rc -eq 1 ] && grep -q 'neg.json: \$.failures.node_mtbf_h: must be > 0' '$TMP/err'"
edited unk 's/"ckpt", "inmem"/"ckpt", "gemini"/'
check "unknown scheme in the config: its path" "[ $rc -eq 1 ] && grep -q 'schemes\[1\]: unknown scheme .gemini.' '$TMP/err'"
printf '0,add,node1\n0,add,node2\n60000,remove,node1\n90000,dropped,node2\n' >"$TMP/bad.csv"
"$BIN" resilience "$CFG" --quiet --failure-trace "$TMP/bad.csv" >/dev/null 2>"$TMP/err"
rc=$?
check "malformed trace line: its line number" "[ $rc -eq 1 ] && grep -q 'bad.csv:4:' '$TMP/err'"
# a directory read as an empty trace (spot trace, failure CSV source, table)
mkdir "$TMP/dir.csv"
"$BIN" resilience "$CFG" --quiet --failure-trace "$TMP/dir.csv" >/dev/null 2>"$TMP/err"
rc=$?
"$BIN" resilience "$CFG" --quiet --set failures.source=csv --set failures.trace="$TMP/dir.csv" >/dev/null 2>"$TMP/err2"
rc2=$?
"$BIN" resilience --model GPT-3-2_7b --failure-trace "$ROOT/traces/spot/1h.csv" --table "$TMP/dir.csv" --quiet >/dev/null 2>"$TMP/err3"
rc3=$?
check "a directory as trace, failure CSV or table: 'Is a directory' (was 'empty trace')" \
    "[ $rc -eq 1 ] && [ $rc2 -eq 1 ] && [ $rc3 -eq 1 ] && cat '$TMP/err' '$TMP/err2' '$TMP/err3' >'$TMP/errs' && [ \$(grep -c '^dtsim resilience: .*dir.csv: cannot read: Is a directory\( (the trace of \$.failures.trace in .*)\)\?\$' '$TMP/errs') -eq 3 ] && [ \$(wc -l <'$TMP/errs') -eq 3 ]"
"$BIN" resilience --model GPT-3-2_7b --failure-trace "$ROOT/traces/spot/6h.csv" --schemes oobleck,varuna --quiet >"$TMP/e" 2>&1
# a smoke test of the table oracle in the default (corrected) accounting: no
# independent value for these rows, only the invariants checked above
check "table oracle, corrected accounting: both rows, fractions add up to 1, goodput = useful" \
    "grep -q '^oobleck ' '$TMP/e' && grep -q '^varuna ' '$TMP/e' && awk '\$1 == \"oobleck\" || \$1 == \"varuna\" { s = 0; for (i = 5; i <= 11; i++) s += \$i; if (s < 0.999 || s > 1.001 || \$2 != \$5) bad = 1; n++ } END { exit bad || n != 2 }' '$TMP/e'"
"$BIN" resilience --model GPT-3-2_7b --failure-trace "$ROOT/traces/spot/6h.csv" --schemes oobleck \
    --runs 3 --seed 7 --quiet >"$TMP/o1" 2>"$TMP/e1"
"$BIN" resilience --model GPT-3-2_7b --failure-trace "$ROOT/traces/spot/6h.csv" --schemes oobleck \
    --quiet >"$TMP/o2" 2>/dev/null
check "a replayed trace: --runs and --seed each get a note (one run, no effect), same table" \
    "grep -qx 'dtsim resilience: a replayed trace is deterministic: one run' '$TMP/e1' && grep -qx 'dtsim resilience: a replayed trace draws nothing at random: --seed has no effect' '$TMP/e1' && cmp -s '$TMP/o1' '$TMP/o2'"
"$BIN" resilience "$CFG" --quiet --set failures.source=trace --set failures.trace=no-such.csv >/dev/null 2>"$TMP/err"
rc=$?
check "a config's trace that cannot be read: the trace, and the key and config that named it" \
    "[ $rc -eq 1 ] && grep -q 'no-such.csv: cannot read: No such file or directory (the trace of \$.failures.trace in .*example.json)\$' '$TMP/err'"
printf '# spot trace\n0,add,node1\n\n60000,remove,node1\n90000,remove,node1\n' >"$TMP/gone.csv"
"$BIN" resilience "$CFG" --quiet --failure-trace "$TMP/gone.csv" >/dev/null 2>"$TMP/err"
rc=$?
check "removal of an absent node: its file line (comments and blank lines counted)" \
    "[ $rc -eq 1 ] && grep -q 'gone.csv:5: removal of a node that is not present' '$TMP/err'"
"$BIN" resilience --model GPT-3-2_7b --artifact --failure-trace "$TMP/gone.csv" --quiet >"$TMP/out" 2>"$TMP/err"
rc=$?
check "artifact replay: the same trace check, no table" \
    "[ $rc -eq 1 ] && grep -q 'gone.csv:5: removal' '$TMP/err' && [ ! -s '$TMP/out' ]"
edited stages 's/"nodes": 24,/"nodes": 24, "bamboo": {"stages": 64},/'
check "more Bamboo stages than nodes: file and JSON path, no table" \
    "[ $rc -eq 1 ] && grep -q 'stages.json: \$.resilience.bamboo.stages: 64 stages need at least 64 nodes, the job has 24' '$TMP/err' && [ ! -s '$TMP/out' ]"
edited long 's/"duration_h": 720/"duration_h": 1e9/'
check "a run of 1e9 hours is refused at once (not simulated for hours)" \
    "[ $rc -eq 1 ] && grep -q 'long.json: \$.failures.duration_h: must be between 0 and 1e+06' '$TMP/err'"
# more nodes than the batch can use: Oobleck, Bamboo and Varuna leave the rest idle
# (Oobleck searched every node count down to a usable one at each failure and
# hung; Bamboo built pipelines with no microbatch); timeout only guards a hang
sed 's/"spares": 4,/"spares": 2500,/' "$CFG" >"$TMP/spares.json"
timeout 120 "$BIN" resilience "$TMP/spares.json" --quiet --schemes oobleck,bamboo,varuna --duration-h 48 >"$TMP/out" 2>"$TMP/err"
rc=$?
check "2,524 nodes for 64 microbatches: Oobleck, Bamboo and Varuna rows, no error" \
    "[ $rc -eq 0 ] && grep -q '^oobleck ' '$TMP/out' && grep -q '^bamboo ' '$TMP/out' && grep -q '^varuna ' '$TMP/out' && [ ! -s '$TMP/err' ]"
edited huge 's/"nodes": 24,/"nodes": 1000000,/' --schemes ckpt
check "too many nodes for the batch: says so (not 'does not fit in memory')" \
    "[ $rc -eq 1 ] && grep -q 'huge.json: \$.resilience.nodes: ckpt: 1000000 nodes are too many for the batch: even PP = 32 leaves DP = 31250 replicas for 64 microbatches' '$TMP/err'"
printf 'time_s,node,cause,repair_s\n' >"$TMP/nofail.csv"
"$BIN" resilience "$CFG" --quiet --failure-trace "$TMP/nofail.csv" >/dev/null 2>"$TMP/err"
rc=$?
"$BIN" resilience "$CFG" --quiet --failure-trace "$TMP/nofail.csv" --duration-h 10 >"$TMP/out" 2>&1
rc2=$?
check "failure CSV without rows: asks for --duration-h; with it, runs" \
    "[ $rc -eq 1 ] && grep -q 'nofail.csv: no event after time 0, so no run length: give --duration-h' '$TMP/err' && [ $rc2 -eq 0 ] && grep -q '^ckpt ' '$TMP/out'"
sed 's/"node_mtbf_h": 144/"node_mtbf_h": 10000000/' "$TMP/spares.json" >"$TMP/spares-rare.json"
"$BIN" resilience "$TMP/spares-rare.json" --quiet --schemes varuna --duration-h 48 >"$TMP/out" 2>&1
# Varuna morphs onto the 2,048 nodes a shape can use (32 stages x 64 replicas);
# it used to find no shape for 2,524 and wait the whole run. No failure in
# 48 h (2,048 x 48 / 1e7 = 0.01 expected; seed 1 draws none), so goodput is
# 1 - checkpoint time: C = 120 GB / 1 GB/s = 120 s, job MTBF of the nodes it
# runs on M = 1e7 h / 2,524 x 2,524 / 2,048 = 1.758e7 s, Young sqrt(2 C M) =
# 64,952 s; 48 h = 172,800 s holds 2 cycles of 65,072 s: 1 - 240 / 172,800 =
# 0.99861; steady overhead 120 / 65,072 = 0.0018 (was: goodput > 0.9)
check "Varuna with more nodes than it can use trains: goodput 0.9986 = 1 - 2 checkpoints of 120 s in 48 h" \
    "awk '\$1 == \"varuna\" { ok = \$2 == \"0.9986\" && \$4 == \"0.0018\" && \$8 == \"0.0014\" && \$6 == \"0.0000\" } END { exit !ok }' '$TMP/out' && grep -q 'checkpoint every 64952 s' '$TMP/out'"
"$BIN" resilience "$CFG" --quiet --json "$TMP/no/such/dir/r.json" >"$TMP/out" 2>"$TMP/err"
rc=$?
check "an unwritable --json fails before the run (no table printed)" \
    "[ $rc -eq 1 ] && grep -q 'cannot write .*r.json: No such file or directory' '$TMP/err' && [ ! -s '$TMP/out' ]"
edited dup 's/"ckpt", "inmem"/"ckpt", "ckpt"/'
"$BIN" resilience "$CFG" --quiet --schemes ckpt,inmem,ckpt >/dev/null 2>"$TMP/err2"
rc2=$?
check "a scheme listed twice: config (JSON path) and --schemes" \
    "[ $rc -eq 1 ] && grep -q 'dup.json: \$.resilience.schemes\[1\]: scheme .ckpt. is listed twice' '$TMP/err' && [ $rc2 -eq 2 ] && grep -q \"names 'ckpt' twice\" '$TMP/err2'"
# a spreadsheet's UTF-8 byte-order mark before line 1 ("time '<BOM>0' is not
# a number", the mark invisible) and before a failure CSV's header
printf '\357\273\2770,add,node1\n0,add,node2\n3600000,remove,node1\n' >"$TMP/bom.csv"
"$BIN" resilience "$CFG" --quiet --failure-trace "$TMP/bom.csv" --schemes ckpt >"$TMP/out" 2>"$TMP/err"
rc=$?
printf '\357\273\277time_s,node,cause,repair_s\n100,node1,gpu,60\n' >"$TMP/bomf.csv"
"$BIN" resilience "$CFG" --quiet --failure-trace "$TMP/bomf.csv" --schemes ckpt --duration-h 1 >"$TMP/out2" 2>&1
rc2=$?
check "a byte-order mark before a spot trace or a failure CSV is skipped" \
    "[ $rc -eq 0 ] && grep -q '^ckpt ' '$TMP/out' && [ ! -s '$TMP/err' ] && [ $rc2 -eq 0 ] && grep -q 'bomf.csv over 1 h, one run' '$TMP/out2'"
"$BIN" resilience "$CFG" --quiet --schemes ckpt, >"$TMP/out" 2>"$TMP/err"
rc=$?
check "--schemes with an empty name (ckpt,): usage error (strtok skipped it), with the help hint" \
    "[ $rc -eq 2 ] && grep -q \"^dtsim resilience: --schemes 'ckpt,' has an empty name\$\" '$TMP/err' && grep -qx \"(see 'dtsim resilience --help')\" '$TMP/err' && [ ! -s '$TMP/out' ]"
"$BIN" resilience --model GPT-3-2_7b --artifact --failure-trace "$ROOT/traces/spot/1h.csv" --csv "$TMP/art.csv" >"$TMP/out" 2>"$TMP/err"
rc=$?
check "--artifact with --csv: usage error, nothing written (it was silently ignored)" \
    "[ $rc -eq 2 ] && grep -q 'do not apply' '$TMP/err' && [ ! -e '$TMP/art.csv' ] && [ ! -s '$TMP/out' ]"
"$BIN" resilience "$CFG" --quiet --duration-h 1 --table "$TMP/absent.csv" >"$TMP/out" 2>"$TMP/err"
rc=$?
check "--table with a CONFIG: usage error (it was silently ignored)" \
    "[ $rc -eq 2 ] && grep -q '^dtsim resilience: --table applies to --model runs' '$TMP/err' && [ ! -s '$TMP/out' ]"
# Extreme but well-formed numbers (found by fuzzing; each was undefined
# behaviour in run.c's iteration count or a meaningless run):
edited slowdisk 's/"storage_write_gbps": 1/"storage_write_gbps": 1e-300/' --duration-h 10
check "a checkpoint write longer than 1e7 s: error naming the file and the key's path, before any run" \
    "[ $rc -eq 1 ] && grep -q 'slowdisk.json: \$.resilience.storage_write_gbps: a checkpoint write takes 1.2e+302 s (120 GB at 1e-300 GB/s), more than 1e+07 s' '$TMP/err' && [ ! -s '$TMP/out' ]"
edited tiny 's/"fwd_ms": 10, "bwd_ms": 20/"fwd_ms": 1e-300, "bwd_ms": 1e-300, "dp_latency_us": 0/' --duration-h 10
check "an iteration shorter than 1 us: error at the profile (the iteration count overflowed)" \
    "[ $rc -eq 1 ] && grep -q 'tiny.json: \$.profile: ckpt: oracle: an iteration on 16 nodes takes .* s, outside \\[1e-06 s' '$TMP/err'"
# MTBF 1e300 h: no failure, and a Young interval of ~1e152 s (its iteration
# count overflowed a long); every scheme runs at 1 - its steady overhead
edited never 's/"node_mtbf_h": 144/"node_mtbf_h": 1e300/' --duration-h 10 --schemes ckpt,varuna
check "no failures at all (MTBF 1e300 h): ckpt and varuna goodput 1" \
    "[ $rc -eq 0 ] && [ \$(awk '(\$1 == \"ckpt\" || \$1 == \"varuna\") && \$2 == \"1.0000\"' '$TMP/out' | wc -l) -eq 2 ]"
edited wbl 's/"node_mtbf_h": 144/"node_mtbf_h": 144, "distribution": "weibull", "weibull_shape": 0.001/' --duration-h 10
check "Weibull shape 0.001: error with its path (Gamma(1001) overflowed inside GSL, which aborted)" \
    "[ $rc -eq 1 ] && grep -q 'wbl.json: \$.failures.weibull_shape: must be between 0.1 and 20, got 0.001' '$TMP/err'"
# The plan each scheme starts with, after the table and in the JSON
"$BIN" resilience "$CFG" --quiet --duration-h 24 --json "$TMP/plans.json" >"$TMP/plans.txt" 2>/dev/null
check "a plan line per scheme after the table, and a \"plan\" per scheme in the JSON" \
    "[ \$(grep -c -E '^  (ckpt|inmem|oobleck|bamboo|varuna): ' '$TMP/plans.txt') -eq 5 ] && [ \$(grep -c '\"plan\":' '$TMP/plans.json') -eq 5 ]"
# Bamboo: S x P nodes run, the other live nodes (24 + 4 spares) stand by
check "Bamboo's plan: standby = 28 live nodes - stages x pipelines" \
    "awk '\$1 == \"bamboo:\" { S = \$2; P = \$5; K = \$7; ok = (\$3 == \"stages\" && K == 28 - S * P) } END { exit !ok }' '$TMP/plans.txt'"
# --set: the same as editing the config; a bad value names the override
edited mtbf24 's/"node_mtbf_h": 144/"node_mtbf_h": 24/' --duration-h 48
cp "$TMP/out" "$TMP/edited.txt"
"$BIN" resilience "$CFG" --quiet --duration-h 48 --set failures.node_mtbf_h=24 >"$TMP/set.txt" 2>"$TMP/err"
check "--set failures.node_mtbf_h=24: same table as the edited config, the header says --set" \
    "[ -s '$TMP/set.txt' ] && tail -n +2 '$TMP/edited.txt' >'$TMP/e2' && tail -n +2 '$TMP/set.txt' >'$TMP/s2' && cmp -s '$TMP/e2' '$TMP/s2' && head -1 '$TMP/set.txt' | grep -q ', one run, with --set failures.node_mtbf_h=24\$' && ! head -1 '$TMP/edited.txt' | grep -q 'with --set'"
"$BIN" resilience "$CFG" --quiet --set failures.node_mtbf_h=-3 >"$TMP/out" 2>"$TMP/err"
rc=$?
check "--set with a bad value: the override and the JSON path named" \
    "[ $rc -eq 1 ] && grep -q 'resilience: --set failures.node_mtbf_h=-3: \$.failures.node_mtbf_h: must be > 0, got -3' '$TMP/err' && [ ! -s '$TMP/out' ]"
# a rate above one failure per second (1e-300 h printed a table of zeros)
"$BIN" resilience "$CFG" --quiet --set failures.node_mtbf_h=1e-300 >"$TMP/out" 2>"$TMP/err"
rc=$?
check "an MTBF below one second: refused, with the MTBF in seconds" \
    "[ $rc -eq 1 ] && grep -q '\$.failures.node_mtbf_h: 1e-300 is more than one failure per second (an MTBF of 3.6e-297 s)' '$TMP/err' && [ ! -s '$TMP/out' ]"
"$BIN" resilience "$CFG" --quiet --set failures.node_mtbf_h=null --set failures.failures_per_1000_node_days=1e8 >"$TMP/out" 2>"$TMP/err"
rc=$?
check "... and 1e8 failures per 1000 node-days (an MTBF of 0.864 s)" \
    "[ $rc -eq 1 ] && grep -q 'failures_per_1000_node_days: 1e+08 is more than one failure per second (an MTBF of 0.864 s)' '$TMP/err'"
"$BIN" resilience "$CFG" --quiet --duration-h 1 --set failures.node_mtbf_h=0.0003 >"$TMP/out" 2>"$TMP/err"
check "... while 1.08 s runs (goodput 0 for checkpoint-restart)" "grep -q '^ckpt  *0.0000' '$TMP/out'"
"$BIN" resilience --model GPT-3-2_7b --failure-trace "$ROOT/traces/spot/1h.csv" --set a=1 >"$TMP/out" 2>"$TMP/err"
rc=$?
check "--set without a config (--model): usage error" \
    "[ $rc -eq 2 ] && grep -q 'needs a CONFIG.json' '$TMP/err'"
# job_mtbf_h: "a failure every 3 hours" of the 24-node job = node MTBF 72 h
"$BIN" resilience "$CFG" --quiet --duration-h 48 --set failures.node_mtbf_h=72 >"$TMP/node.txt" 2>&1
# (the config gives node_mtbf_h: a --set of another rate key replaces it)
"$BIN" resilience "$CFG" --quiet --duration-h 48 --set failures.job_mtbf_h=3 >"$TMP/job.txt" 2>&1
"$BIN" resilience "$CFG" --quiet --set failures.job_mtbf_h=3 --set failures.gpu_mtbf_h=500 >"$TMP/out" 2>"$TMP/err"
rc=$?
check "job_mtbf_h 3 = node_mtbf_h 72 on 24 nodes (replacing the file's rate); two rates by --set: error naming the ways" \
    "grep -q '^ckpt ' '$TMP/job.txt' && tail -n +2 '$TMP/node.txt' >'$TMP/n2' && tail -n +2 '$TMP/job.txt' >'$TMP/j2' && cmp -s '$TMP/n2' '$TMP/j2' && [ $rc -eq 1 ] && grep -q 'gpu_mtbf_h and job_mtbf_h each give the failure rate: keep one of node_mtbf_h, gpu_mtbf_h, job_mtbf_h' '$TMP/err'"
"$BIN" resilience "$CFG" --quiet --duration-h 24 --set failures.job_mtbf_h=null >"$TMP/null.txt" 2>&1
check "--set failures.job_mtbf_h=null only unsets that key: the file's node_mtbf_h stays" \
    "grep -q '^ckpt ' '$TMP/null.txt' && sed -n '2,/^\$/p' '$TMP/plans.txt' >'$TMP/p2' && sed -n '2,/^\$/p' '$TMP/null.txt' >'$TMP/u2' && cmp -s '$TMP/p2' '$TMP/u2'"
# the fixed shapes name the nodes they leave idle (they serve as spares)
check "plans: ckpt runs 16 of its 24 nodes, Varuna 16 of the 28 live ones" \
    "grep -q '^  ckpt: *PP 16 x DP 1 on 16 of 24 nodes (8 spare),' '$TMP/plans.txt' && grep -q '^  varuna: *PP 16 x DP 1 on 16 of 28 nodes (12 spare),' '$TMP/plans.txt'"
"$BIN" resilience "$CFG" --quiet --duration-h 24 --set failures=null >"$TMP/out" 2>"$TMP/err"
rc=$?
check "--set failures=null: the section's defaults, as in experiment configs (was 'expected an object')" \
    "[ $rc -eq 0 ] && grep -q '^ckpt ' '$TMP/out'"
# dtsim run of an experiment with failures: --quiet leaves stdout empty, the JSON is written
"$BIN" run "$ROOT/configs/experiments/resilience-gpt3-175b.json" --quiet --set 'resilience.schemes=["ckpt"]' \
    --set failures.duration_h=12 --json "$TMP/q.json" >"$TMP/out" 2>/dev/null
rc=$?
check "dtsim run --quiet with failure sections: no table on stdout, JSON with the overrides" \
    "[ $rc -eq 0 ] && [ ! -s '$TMP/out' ] && grep -q '\"overrides\":.*failures.duration_h=12' '$TMP/q.json'"
"$BIN" run "$ROOT/configs/experiments/resilience-gpt3-175b.json" --iterations 5 >"$TMP/out" 2>"$TMP/err"
rc=$?
check "dtsim run --iterations of an experiment with failures: usage error (it was silently ignored)" \
    "[ $rc -eq 2 ] && grep -q '^dtsim run: --trace, --export-trace, --iterations and --allow-oom apply to one iteration' '$TMP/err' && [ ! -s '$TMP/out' ]"
# A 1,100-byte cause used to be split by a 512-byte buffer, its tail read as a
# second row; every line-oriented input now refuses it with its line number.
{ printf 'time_s,node,cause,repair_s\n100,node1,gpu,60\n200,node2,'; head -c 1100 /dev/zero | tr '\0' x; printf ',60\n'; } >"$TMP/longf.csv"
"$BIN" resilience "$CFG" --quiet --failure-trace "$TMP/longf.csv" --schemes ckpt --duration-h 1 >"$TMP/out" 2>"$TMP/err"
rc=$?
check "a failure CSV line over 1022 bytes: error naming file and line 3, nothing printed" \
    "[ $rc -eq 1 ] && grep -q 'longf.csv:3: line too long (more than 1022 bytes)' '$TMP/err' && [ ! -s '$TMP/out' ]"
# The g4dn spot trace starts with no node up: Oobleck's plan line says what it
# waits for (it said only "waiting for nodes"): f + 1 = 2 pipelines of the
# smallest template that fits in memory (GPT-3 2.7B fits on one node)
"$BIN" resilience "$ROOT/configs/papers/oobleck/gpt3-2.7b.json" --quiet --schemes oobleck \
    --failure-trace "$ROOT/traces/spot/g4dn-trace.csv" >"$TMP/out" 2>/dev/null
rc=$?
check "Oobleck waiting at the start: how many pipelines of how many nodes, how many up" \
    "[ $rc -eq 0 ] && grep -q 'oobleck: *f = 1, templates of 1\\.\\.32 nodes, waiting for nodes: 2 pipelines of at least 1 node, 0 up\$' '$TMP/out'"
"$BIN" resilience "$ROOT/configs/papers/oobleck/gpt3-2.7b.json" --quiet --schemes bamboo \
    --failure-trace "$ROOT/traces/spot/g4dn-trace.csv" >"$TMP/out" 2>/dev/null
rc=$?
check "Bamboo waiting at the start: its stage count and nodes up (was '2 stages x 0 pipelines, 0 standby')" \
    "[ $rc -eq 0 ] && grep -q 'bamboo: *2 stages, waiting for nodes: a pipeline needs 2, 0 up\$' '$TMP/out'"
# 20 GB of activations a layer: only pipelines of at most about 9 nodes fit
# (deeper ones keep more microbatches in flight), and every mix Oobleck tried
# put the remainder into one larger pipeline; it now falls back to equal
# pipelines with the remainder idle (it waited the whole run)
"$BIN" resilience "$CFG" --quiet --schemes oobleck --set profile.act_mb=20000 --duration-h 24 \
    >"$TMP/out" 2>/dev/null
rc=$?
check "Oobleck when only small pipelines fit: 3 x 9 nodes, training (goodput > 0.9)" \
    "[ $rc -eq 0 ] && grep -q 'oobleck: *f = 1, templates of 2\\.\\.26 nodes; pipelines 3 x 9 nodes\$' '$TMP/out' && awk '\$1 == \"oobleck\" { ok = \$2 > 0.9 } END { exit !ok }' '$TMP/out'"
# one node and one spare: singular in the header (was "1 nodes + 1 spares")
"$BIN" resilience "$CFG" --quiet --schemes ckpt --set resilience.nodes=1 --set resilience.spares=1 \
    --set profile.layers=1 --duration-h 1 >"$TMP/out" 2>/dev/null
check "header: '1 node + 1 spare'" "head -1 '$TMP/out' | grep -q '^1 node + 1 spare, random failures over 1 h'"
