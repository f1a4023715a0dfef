#!/bin/sh
# t605-stragglers-errors.sh -- bad "stragglers" sections and sequence-length files
# get one error naming the file and the JSON path (and the line of a length
# file), exit status 1, and no crash.
. "$(dirname "$0")/lib-tap.sh"
CFG=$ROOT/tests/data/stragglers-abstract.json

echo 1..28
# bad SECTION EXPECTED-TEXT DESCRIPTION
bad() {
    "$BIN" run "$CFG" --quiet --set "stragglers=$1" >"$TMP/out" 2>"$TMP/err"
    rc=$?
    printf '%s\n' "$2" >"$TMP/want"
    check "$3" "[ $rc -eq 1 ] && grep -qF -f '$TMP/want' '$TMP/err' && [ \$(wc -l <'$TMP/err') -eq 1 ]"
}
# in the file: the file is named
sed 's/"stragglers": {}/"stragglers": {"devices": [{"gpu": 1, "factor": -0.5}]}/' "$CFG" >"$TMP/bad-in-file.json"
"$BIN" run "$TMP/bad-in-file.json" --quiet >"$TMP/out" 2>"$TMP/err"
rc=$?
check "negative speed factor in the file: the file and the JSON path" \
    "[ $rc -eq 1 ] && grep -qF 'dtsim: $TMP/bad-in-file.json: \$.stragglers.devices[0].factor: must be > 0, got -0.5' '$TMP/err'"
"$BIN" run "$TMP/bad-in-file.json" --quiet --set stragglers.seqlen=3 >"$TMP/out" 2>"$TMP/err"
rc=$?
check "... a --set of another key of the section is named only for its own error" \
    "[ $rc -eq 1 ] && grep -qF 'bad-in-file.json: \$.stragglers.devices[0].factor' '$TMP/err'"
# the section comes from --set here, so the --set is named (it was the file)
bad '{"devices":[{"gpu":1,"factor":-0.5}]}' \
    'dtsim: --set stragglers={"devices":[{"gpu":1,"factor":-0.5}]}: $.stragglers.devices[0].factor: must be > 0, got -0.5' \
    "negative speed factor: the --set that wrote it and the JSON path"
bad '{"devices":[{"gpu":1,"factor":0.5,"speed":2}]}' "\$.stragglers.devices[0].speed: unknown key 'speed'" \
    "unknown key in a device"
bad '{"devise":[]}' "\$.stragglers.devise: unknown key 'devise' (known keys: devices," \
    "unknown section key lists the known ones"
bad '{"devices":[{"gpu":8,"factor":0.5}]}' '$.stragglers.devices[0].gpu: must be an integer between 0 and 7' \
    "GPU out of range"
bad '{"devices":[{"gpu":1}]}' 'give exactly one of "factor" or "profile"' "device without a factor"
bad '{"devices":[{"gpu":1,"profile":[[0,1],[0,0.5]]}]}' '$.stragglers.devices[0].profile: [1]: times must be >= 0 and increasing' \
    "profile times not increasing"
# a GPU at 1e-300 of its speed was an engine deadlock ("internal error")
bad '{"devices":[{"gpu":1,"factor":1e-300}]}' '$.stragglers.devices[0].factor: must be between 0.001 and 1000, got 1e-300' \
    "speed factor 1e-300: a range error, not an engine deadlock"
bad '{"devices":[{"gpu":1,"profile":[[0,1],[1,1e-300]]}]}' '$.stragglers.devices[0].profile: [1]: expected a factor between 0.001 and 1000, got 1e-300' \
    "profile factor 1e-300: a range error"
bad '{"noise":{"sigma":-1}}' '$.stragglers.noise.sigma: must be >= 0' "negative noise sigma"
bad '{"links":[{"node":1,"factor":0}]}' '$.stragglers.links[0].factor: must be > 0' "zero link factor"
bad '{"pauses":[{"gpu":1,"every":0,"duration_ms":5}]}' '$.stragglers.pauses[0].every: must be an integer between 1 and 1000' \
    "stall period 0"
bad '{"seqlen":{"distribution":"file","file":"stragglers-bad-lengths.txt","context":4096}}' \
    "stragglers-bad-lengths.txt:5: \$.stragglers.seqlen.file: expected a sequence length >= 1 (tokens), got 'abc'" \
    "bad length file: file, line and JSON path"
bad '{"seqlen":{"distribution":"file","file":"stragglers-hex-lengths.txt","context":4096}}' \
    "stragglers-hex-lengths.txt:3: \$.stragglers.seqlen.file: expected a sequence length >= 1 (tokens), got '0x400'" \
    "hexadecimal length: refused (strtod read 0x400 as 1024)"
mkdir "$TMP/lengths"
bad '{"seqlen":{"distribution":"file","file":"'"$TMP/lengths"'","context":4096}}' \
    "\$.stragglers.seqlen.file: cannot read '$TMP/lengths': Is a directory" \
    "a directory as length file: says so (was 'no sequence lengths in the file')"
# a missing length file: the config (or --set) is the file of the error, the
# length file is quoted as resolved (its path stood in the config's place)
bad '{"seqlen":{"distribution":"file","file":"no-such-lengths.txt","context":4096}}' \
    "dtsim: --set stragglers={\"seqlen\":{\"distribution\":\"file\",\"file\":\"no-such-lengths.txt\",\"context\":4096}}: \$.stragglers.seqlen.file: cannot open '$ROOT/tests/data/no-such-lengths.txt': No such file or directory" \
    "missing length file from --set: the --set, the JSON path, the resolved file and why"
sed 's/"stragglers": {}/"stragglers": {"seqlen": {"distribution": "file", "file": "bogus", "context": 64}}/' \
    "$CFG" >"$TMP/missing-lengths.json"
"$BIN" run "$TMP/missing-lengths.json" --quiet >"$TMP/out" 2>"$TMP/err"
rc=$?
printf '%s\n' "dtsim: $TMP/missing-lengths.json: \$.stragglers.seqlen.file: cannot open '$TMP/bogus': No such file or directory" >"$TMP/want"
check "missing length file in the config: CONFIG: \$.stragglers.seqlen.file: cannot open 'RESOLVED': reason" \
    "[ $rc -eq 1 ] && cmp -s '$TMP/want' '$TMP/err'"
# sigma 10 made the paper job 4.7x FASTER (a mean-1 lognormal whose median
# is e^-50): noise sigma is bounded to 2, document-length sigma to 3
bad '{"noise":{"sigma":10}}' '$.stragglers.noise.sigma: must be between 0 and 2, got 10' \
    "noise sigma 10: a range error (the job got faster)"
bad '{"seqlen":{"distribution":"lognormal","median":100,"sigma":3.5,"context":2048}}' \
    '$.stragglers.seqlen.sigma: must be between 0 and 3, got 3.5' "document-length sigma 3.5: a range error"
# 1e308 ms: exit 0 and a 31-digit iteration time without a unit
bad '{"pauses":[{"gpu":1,"every":1,"duration_ms":1e308}]}' \
    '$.stragglers.pauses[0].duration_ms: must be between 0 and 3.6e+06, got 1e+308' "stall of 1e308 ms: a range error"
# "every" is optional with default 1 (docs); the code required it
"$BIN" run "$CFG" --quiet --set 'stragglers={"pauses":[{"gpu":2,"duration_ms":5000}]}' \
    --json "$TMP/every.json" >"$TMP/out" 2>"$TMP/err"
rc=$?
"$BIN" run "$CFG" --quiet --set 'stragglers={"pauses":[{"gpu":2,"every":1,"duration_ms":5000}]}' \
    --json "$TMP/every1.json" >/dev/null 2>&1
check "a stall without \"every\": accepted, period 1 as documented (was a missing key)" \
    "[ $rc -eq 0 ] && [ -n \"\$(jget iteration_s '$TMP/every.json')\" ] && [ \"\$(jget iteration_s '$TMP/every.json')\" = \"\$(jget iteration_s '$TMP/every1.json')\" ]"
bad '{"devices":[{"gpu":5,"profile":[[5,0.5]]}]}' \
    '$.stragglers.devices[0].profile: [0]: the first point must be at time 0 (the profile gives the speed from the start of the run), got 5' \
    "a profile starting after 0: refused at its first point (docs: times start at 0)"
# 1-token documents in 2^24-token samples: one document per token, minutes and GBs
bad '{"seqlen":{"distribution":"uniform","min":1,"max":1,"packing":"pack","context":16777216}}' \
    '$.stragglers.seqlen: filling the microbatches takes more than 16777216 documents' \
    "2^24 one-token documents per sample: a limit error, not a hang"
# an unknown GPU type named no JSON path and blamed the file for a --set
"$BIN" run "$ROOT/configs/experiments/straggler-paper-injected.json" --quiet \
    --set 'stragglers.gpu_types=[{"nodes":[1],"gpu":"bogus"}]' >"$TMP/out" 2>"$TMP/err"
rc=$?
printf '%s\n' "dtsim: --set stragglers.gpu_types=[{\"nodes\":[1],\"gpu\":\"bogus\"}]: \$.stragglers.gpu_types[0].gpu: cannot find GPU spec 'bogus' (looked for a file of that path, and for " >"$TMP/want"
check "unknown GPU type: the --set, \$.stragglers.gpu_types[0].gpu and where it looked" \
    "[ $rc -eq 1 ] && [ \$(wc -l <'$TMP/err') -eq 1 ] && grep -qF -f '$TMP/want' '$TMP/err' && grep -q '/configs/gpus/bogus.json; names there: a100-80g, b200, h100-sxm, h200-sxm)\$' '$TMP/err'"
# a million seconds and more: %g with the unit (1e308 ms was cut to 31 digits
# without one)
"$BIN" run "$CFG" --set model.t_f=1e6 --set model.t_b=1e6 \
    --set 'stragglers.devices=[{"all":true,"factor":0.001}]' >"$TMP/out" 2>/dev/null
check "a 2.2e10 s iteration is printed as such, with its unit" \
    "grep -qx '  iteration time      2.2e+10 s' '$TMP/out'"
bad '{"seqlen":{"distribution":"lognormal","median":100,"sigma":1,"context":2048,"mean":3}}' "\$.stragglers.seqlen.mean: unknown key 'mean'" \
    "a key of another distribution is unknown"
"$BIN" run "$CFG" --set parallel.schedule=interleaved --set parallel.virtual_stages=2 \
    --export-trace "$TMP/x.csv" --quiet >/dev/null 2>"$TMP/err"
check "--export-trace of an interleaved schedule: exit 1, says why" \
    "[ $? -eq 1 ] && grep -q 'needs one model chunk per device' '$TMP/err'"
