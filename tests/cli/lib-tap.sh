# lib-tap.sh -- TAP helpers sourced by the CLI tests (not a test: the name
# does not match t*.sh). Sets ROOT (repository), BIN (binary under test),
# TMP (a temp dir removed on exit) and defines:
#   check NAME CONDITION   "ok N - NAME" if the shell CONDITION holds, else "not ok"
#   near VALUE WANT TOL    true if |VALUE - WANT| <= TOL (awk; no jq or python)
#   row_col ROW COL FILE   column COL of the table row whose first field is ROW
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${DTSIM_BIN:-$ROOT/dtsim}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
tap_n=0
check() {
    tap_n=$((tap_n + 1))
    if eval "$2"; then echo "ok $tap_n - $1"; else echo "not ok $tap_n - $1"; fi
}
near() {
    awk -v v="$1" -v w="$2" -v t="$3" \
        'BEGIN { d = v - w; if (d < 0) d = -d; exit !(v != "" && d <= t) }'
}
row_col() {
    awk -v s="$1" -v c="$2" '$1 == s { print $c }' "$3"
}
#   jnum FILE KEY DEPTH    value of the first "KEY": at DEPTH tabs in a cJSON report
jnum() {
    awk -v k="\"$2\":" -v d="$3" '{
        t = match($0, /[^\t]/) - 1
        if (t == d && index($0, k) == t + 1) { sub(/^[^:]*:[ \t]*/, ""); sub(/,$/, ""); print; exit }
    }' "$1"
}
#   top_worker FILE        "rank dp_rank stage" of the first ranked worker of a summary
top_worker() {
    awk '$1 == "rank" && $2 == "dp_rank" { getline; print $1, $2, $3; exit }' "$1"
}
# jget KEY FILE: the first number stored under "KEY" in a JSON file written by
# dtsim (cJSON's formatted output puts one "key":<tab>value per line)
jget() {
    sed -n "s/^[[:space:]]*\"$1\":[[:space:]]*\\([-0-9.eE+]*\\),\\{0,1\\}\$/\\1/p" "$2" | head -n 1
}
