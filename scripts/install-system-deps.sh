#!/usr/bin/env bash
# Install the Debian packages Storedesk needs, only those missing, only where we can.
# Usage: scripts/install-system-deps.sh run|test
# - run:  Qt's runtime libraries (QtWidgets needs them even offscreen) + X11 bits for a real window.
# - test: the above + gnome-keyring/dbus for a real Secret Service, xvfb for screenshots.
set -euo pipefail

profile=${1:-run}
qt=(libglib2.0-0 libgl1 libegl1 libxkbcommon0 libfontconfig1 libfreetype6 libdbus-1-3
    libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0
    libxcb-randr0 libxcb-render-util0 libxcb-image0 libxcb-xinerama0 libxcb-xkb1)
keyring=(gnome-keyring dbus dbus-x11 libsecret-tools)
packages=("${qt[@]}")
[ "$profile" = test ] && packages+=("${keyring[@]}" xvfb xauth shellcheck)

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "storedesk: not a Debian-like system; make sure Qt's runtime libraries are installed" >&2
  [ "$profile" = test ] && echo "storedesk: the keyring tests need gnome-keyring and dbus-run-session" >&2
  exit 0
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo=(sudo -n)
else
  echo "storedesk: missing system packages: ${missing[*]}" >&2
  echo "storedesk: install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 0
fi

echo "storedesk: installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# A fresh machine has no package lists; refresh them only when an install needs them.
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 || {
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
}
