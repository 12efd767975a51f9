#!/usr/bin/env bash
# Re-resolve yrdopt's dependencies to the newest releases in a fresh virtual environment, run the
# suite there, and rewrite constraints.txt only if it passes.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="$(mktemp -d)/venv"
python3 -m venv "$venv"
"$venv/bin/pip" install -q -U pip
"$venv/bin/pip" install -q -e ".[test]"
"$venv/bin/python" -m pytest -q
{
  echo "# Versions the test suite passed on (Python $("$venv/bin/python" -c 'import sys; print(".".join(map(str, sys.version_info[:2])))'), $(date -u +%F)). Used by the README's commands with pip -c."
  echo "# Refresh: bash tools/refresh-constraints.sh  (fresh venv, newest releases, run the suite, rewrite this file if it passes)"
  "$venv/bin/pip" freeze --exclude-editable | grep -v '^yrdopt'
} > constraints.txt
echo "constraints.txt refreshed"
