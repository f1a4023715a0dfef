#!/bin/sh
# install-deps.sh -- install the Debian packages dtsim needs, only if missing.
# Called by `make` targets (deps stamp). Uses apt-get as root, or through sudo.
# Packages: build tools, SimGrid, cJSON, GSL (the three libraries dtsim uses),
# cmocka (unit-test runner, TAP output), perl (prove, the TAP harness),
# gnuplot-nox (plots from scripts/; optional for tests).
set -eu
PKGS="gcc make pkg-config libsimgrid-dev libcjson-dev libgsl-dev libcmocka-dev perl gnuplot-nox"
missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0
echo "install-deps: installing:$missing" >&2
if [ "$(id -u)" -eq 0 ]; then SUDO=""; else
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
        echo "install-deps: need root or sudo to install:$missing" >&2; exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
