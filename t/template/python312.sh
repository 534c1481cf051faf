#!/usr/bin/env bash
# Prints the path of a working Python 3.12 interpreter, or fails loudly.
# Generated projects require Python >= 3.12; so do their checks.
for py in "${PYTHON312:-}" python3.12 /root/.pyenv/versions/3.12.1/bin/python3.12 \
          /usr/bin/python3.12 /usr/local/bin/python3.12; do
    [ -n "$py" ] || continue
    if "$py" -c 'import sys; assert sys.version_info[:2] == (3, 12)' >/dev/null 2>&1; then
        command -v "$py"
        exit 0
    fi
done
echo "python3.12 not found (set PYTHON312=/path/to/python3.12): the template tests need it" >&2
exit 1
