#!/usr/bin/env bash
# Creates (once) the Python (>= 3.11, Debian's python3) virtualenv the template tests run in:
# build/tpl-venv with the pinned reference cookiecutter (t/requirements.txt)
# (PyYAML included), ruff, uv (t/420 installs the generated projects the way
# their README says) and selenium (t/420 drives Debian's chromium with it).
# Prints the venv's python on stdout.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
# not $BUILD: the same venv serves plain, SANITIZE and VALGRIND runs
BUILD=$REPO/build
VENV=$BUILD/tpl-venv
# ruff: the generated projects' own linter (same pin as their pyproject.toml)
# uv: the version the generated Dockerfile installs; selenium 4.51.0: 4.52
# needs a newer certifi than t/requirements.txt pins
EXTRA="ruff==0.15.22 uv==0.13.9 selenium==4.51.0"
WANT="$(cat "$REPO/t/requirements.txt") $EXTRA"
STAMP=$VENV/.djass-requirements

mkdir -p "$BUILD"
exec 9>"$BUILD/tpl-venv.lock"
flock 9    # t/4xx files may run in parallel (prove -j)

if [ -x "$VENV/bin/python" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ]; then
    echo "$VENV/bin/python"
    exit 0
fi

PY=$("$REPO/t/template/python.sh")
rm -rf "$VENV"
"$PY" -m venv "$VENV" >&2
"$VENV/bin/pip" install -q --disable-pip-version-check -r "$REPO/t/requirements.txt" $EXTRA >&2
printf '%s' "$WANT" > "$STAMP"
echo "$VENV/bin/python"
