#!/usr/bin/env bash
# `make run`: start the desktop app. If helm is not installed, provide the pinned helm 4.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v helm >/dev/null 2>&1; then
  if [ ! -x .cache/tools/helm4/helm ]; then
    echo "storedesk: no helm on PATH: fetching the pinned helm 4 into .cache/tools (once)..."
  fi
  if .venv/bin/python scripts/fetch_tools.py --dest .cache/tools 4 >/dev/null; then
    export PATH="$PWD/.cache/tools/helm4:$PATH"
    echo "storedesk: no helm on PATH; using the pinned helm $(cat .cache/tools/helm4/VERSION) from .cache/tools/helm4"
  fi
fi
if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ -z "${QT_QPA_PLATFORM:-}" ]; then
  echo "storedesk: no display found (DISPLAY/WAYLAND_DISPLAY unset); set QT_QPA_PLATFORM=offscreen to run headless" >&2
fi
exec .venv/bin/storedesk "$@"
