#!/bin/sh
# sweep_resilience.sh -- goodput and samples/s of each resilience scheme as one
# config key varies: one `dtsim resilience CONFIG --set KEY=VALUE` per value.
#
#   scripts/sweep_resilience.sh CONFIG KEY=V1,V2,... [OUT.csv] [-- RESILIENCE-OPTIONS]
#   scripts/sweep_resilience.sh configs/resilience/example.json \
#       failures.job_mtbf_h=24,12,6,3,1 mtbf.csv -- --set failures.node_mtbf_h=null --runs 5
#
# OUT.csv (default sweep.csv): KEY, then "<scheme>_goodput" and
# "<scheme>_samples_per_s" per scheme (with --runs N: the means, followed by
# "<scheme>_goodput_ci95" and "<scheme>_samples_per_s_ci95", the half-widths of
# the 95% intervals). With gnuplot, OUT.png plots goodput against the value
# (log x axis if every value is > 0; error bars with --runs N).
set -eu
usage() { echo "usage: $0 CONFIG KEY=V1,V2,... [OUT.csv] [-- dtsim resilience options]" >&2; exit 2; }
[ $# -ge 2 ] || usage
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${DTSIM_BIN:-$ROOT/dtsim}
CFG=$1
KV=$2
shift 2
OUT=sweep.csv
if [ $# -gt 0 ] && [ "$1" != "--" ]; then OUT=$1; shift; fi
if [ $# -gt 0 ]; then [ "$1" = "--" ] || usage; shift; fi
case $KV in *=?*) ;; *) usage ;; esac
KEY=${KV%%=*}
VALUES=${KV#*=}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
: >"$TMP/rows"
n=0
IFS_SAVE=$IFS
IFS=,
for v in $VALUES; do
    IFS=$IFS_SAVE
    n=$((n + 1))
    echo "$0: $KEY=$v" >&2
    "$BIN" resilience "$CFG" --quiet --set "$KEY=$v" "$@" >"$TMP/out" 2>"$TMP/err" || {
        cat "$TMP/err" >&2
        exit 1
    }
    # the table: a header line, then "scheme goodput samples/s ..." rows up
    # to the first blank line, each followed with --runs N by a "+/-" row of
    # the 95% interval half-widths
    awk -v v="$v" 'NR <= 2 { next } !NF { exit }
        $1 == "+/-" { print "C", v, scheme, $2, $3; next }
        { scheme = $1; print "R", v, $1, $2, $3 }' "$TMP/out" >>"$TMP/rows"
    IFS=,
done
IFS=$IFS_SAVE
[ "$n" -gt 0 ] || usage
awk -v key="$KEY" '
    $1 == "C" { ci = 1; gh[$2, $3] = $4; sh[$2, $3] = $5; next }
    !($3 in seen) { seen[$3] = 1; schemes[++ns] = $3 }
    !($2 in vseen) { vseen[$2] = 1; vals[++nv] = $2 }
    { g[$2, $3] = $4; s[$2, $3] = $5 }
    END {
        printf "%s", key
        for (i = 1; i <= ns; i++) printf ",%s_goodput", schemes[i]
        for (i = 1; i <= ns; i++) printf ",%s_samples_per_s", schemes[i]
        for (i = 1; ci && i <= ns; i++) printf ",%s_goodput_ci95", schemes[i]
        for (i = 1; ci && i <= ns; i++) printf ",%s_samples_per_s_ci95", schemes[i]
        printf "\n"
        for (j = 1; j <= nv; j++) {
            printf "%s", vals[j]
            for (i = 1; i <= ns; i++) printf ",%s", g[vals[j], schemes[i]]
            for (i = 1; i <= ns; i++) printf ",%s", s[vals[j], schemes[i]]
            for (i = 1; ci && i <= ns; i++) printf ",%s", gh[vals[j], schemes[i]]
            for (i = 1; ci && i <= ns; i++) printf ",%s", sh[vals[j], schemes[i]]
            printf "\n"
        }
    }' "$TMP/rows" >"$OUT"
cat "$OUT"
command -v gnuplot >/dev/null || exit 0
PNG=${OUT%.csv}.png
ns=$(awk 'NR == 1 { n = 0; for (i = 2; i <= NF; i++) n += $i ~ /_goodput$/; print n }' FS=, "$OUT")
# with intervals: error bars from the <scheme>_goodput_ci95 columns
ci=$(awk 'NR == 1 { print ($0 ~ /_ci95/) ? 1 : 0 }' "$OUT")
if [ "$ci" = 1 ]; then
    PLOT="plot for [i=2:$((ns + 1))] \"$OUT\" using 1:i:(column(i + $((2 * ns)))) with yerrorlines lw 1.5 title columnhead(i)"
else
    PLOT="plot for [i=2:$((ns + 1))] \"$OUT\" using 1:i with linespoints lw 1.5"
fi
logx=$(awk -F, 'NR > 1 && !($1 > 0) { bad = 1 } END { print bad ? "" : "set logscale x" }' "$OUT")
gnuplot <<GP
set terminal pngcairo size 900,500 noenhanced
set output "$PNG"
set datafile separator ","
set key autotitle columnhead outside right
set xlabel "$KEY"
set ylabel "goodput (useful time / wall time)"
set yrange [0:1]
set grid
$logx
$PLOT
GP
echo "$PNG" >&2
