#!/bin/sh
# plot_throughput.sh CSV [PNG] -- plot `dtsim resilience --csv` output
# (time_h, then samples/s per scheme) with gnuplot into a PNG.
set -eu
[ $# -ge 1 ] || { echo "usage: $0 throughput.csv [out.png]" >&2; exit 2; }
CSV=$1
PNG=${2:-${CSV%.csv}.png}
command -v gnuplot >/dev/null || { echo "$0: gnuplot not found" >&2; exit 1; }
ncol=$(head -1 "$CSV" | awk -F, '{ print NF }')
gnuplot <<GP
set terminal pngcairo size 1000,500 noenhanced
set output "$PNG"
set datafile separator ","
set key autotitle columnhead outside right
set xlabel "simulated time (h)"
set ylabel "samples/s (completed iterations)"
set grid
plot for [i=2:$ncol] "$CSV" using 1:i with lines lw 1.5
GP
echo "$PNG"
