#!/usr/bin/env bash
# Prints the path of the Python the template tests use, or fails loudly.
# Generated projects require Python >= 3.11 (Debian bookworm's python3 is
# 3.11; Django 5.2 supports 3.10 to 3.13), and so do their checks. Debian's
# own /usr/bin/python3 comes first, so that the tests run with what a fresh
# Debian 12 machine has; PYTHON=/path/to/python3 picks another.
for py in "${PYTHON:-}" /usr/bin/python3 python3; do
    [ -n "$py" ] || continue
    if "$py" -c 'import sys, venv, ensurepip; assert sys.version_info[:2] >= (3, 11)' >/dev/null 2>&1; then
        command -v "$py"
        exit 0
    fi
done
echo "no python3 >= 3.11 with venv (install Debian's python3 and python3-venv, or set PYTHON=/path/to/python3)" >&2
exit 1
