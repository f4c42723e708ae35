#!/usr/bin/env bash
# `make lint`: every gate runs, even after one fails, so one run shows all there is to fix.
# The import contracts and mypy's settings live in pyproject.toml.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
bin=.venv/bin
paths=(storedesk tests benchmarks scripts)
failed=()

gate() {
  local name=$1
  shift
  echo "lint: $name"
  "$@" || failed+=("$name")
}

gate "ruff check" "$bin/ruff" check "${paths[@]}"
gate "ruff format" "$bin/ruff" format --check "${paths[@]}"
gate "import layers" "$bin/lint-imports" --no-logo --cache-dir .cache/import-linter
gate "mypy" "$bin/mypy"

if [ ${#failed[@]} -gt 0 ]; then
  printf -v names '%s, ' "${failed[@]}"
  echo "lint: FAILED: ${names%, }" >&2
  exit 1
fi
echo "lint: all gates passed"
