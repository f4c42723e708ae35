#!/usr/bin/env bash
# Run a command inside a private D-Bus session with an unlocked gnome-keyring (a real
# Secret Service), so tests never touch the user's own keyring or home directory.
set -euo pipefail
if ! command -v dbus-run-session >/dev/null || ! command -v gnome-keyring-daemon >/dev/null; then
  echo "storedesk: no dbus-run-session/gnome-keyring-daemon; keyring tests will fail" >&2
  exec "$@"
fi
T=$(mktemp -d /tmp/storedesk-session.XXXXXX)
trap 'rm -rf "$T"' EXIT
mkdir -m 700 "$T/run"
export STOREDESK_REAL_HOME="$HOME" HOME="$T" XDG_RUNTIME_DIR="$T/run"
unset DBUS_SESSION_BUS_ADDRESS
dbus-run-session -- bash -c '
  echo -n storedesk-test | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  exec "$@"' keyring-session "$@"
