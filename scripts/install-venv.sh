#!/usr/bin/env bash
# Make the venv hold Storedesk in development mode and what it needs; the Makefile calls
# this when a stamp is missing or older than pyproject.toml.
# Usage: scripts/install-venv.sh run|dev [VENV]
# - run: the app and what it runs on (Qt, the kubernetes client, keyring, ...).
# - dev: the above + the test and bench extras (pytest, ruff, mypy, import-linter, ...).
set -euo pipefail
cd "$(dirname "$0")/.."

profile=${1:-run}
venv=${2:-.venv}
python=${PYTHON:-python3}
case "$profile" in
  run) spec=. what="Qt and the kubernetes client" ;;
  dev) spec='.[test,bench]' what="Qt, the kubernetes client and the test tools" ;;
  *) echo "usage: $0 run|dev [VENV]" >&2; exit 2 ;;
esac
stamp="$venv/.installed-$profile"

say() { echo "storedesk: $*"; }

first=
if [ ! -x "$venv/bin/python" ]; then
  first="first run: "
  say "${first}creating $venv"
  "$python" -m venv "$venv"
  # Editable installs of a pyproject-only project need a recent pip.
  "$venv/bin/python" -m pip install --quiet --upgrade pip
fi

if [ -e "$stamp" ]; then
  # Only the project's metadata changed: usually nothing or little to fetch.
  say "pyproject.toml changed: updating $venv"
  "$venv/bin/python" -m pip install --quiet -e "$spec"
else
  # A first install downloads a few hundred MB: show pip's progress, not a silent minute.
  if [ "$profile" = dev ] && [ -e "$venv/.installed-run" ]; then
    say "installing the test tools into $venv..."
  else
    say "${first}installing $what into $venv (about a minute)..."
  fi
  "$venv/bin/python" -m pip install -e "$spec"
fi
touch "$stamp"
# The test set-up holds everything the app needs too.
if [ "$profile" = dev ]; then touch "$venv/.installed-run"; fi
say "$venv is ready"
