"""Opening a link in the user's browser, and knowing when that did not happen.

On Linux Qt hands the URL to xdg-open and reports success once xdg-open has started;
when no browser is found xdg-open fails a moment later and only says so on stderr. So
here xdg-open is run and its exit status awaited (on a worker: it may take a while),
and a failure is an error the window can show, with the link to copy instead.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading

from storedesk.errors import StoredeskError

SETTLE = 5.0  # seconds: xdg-open that has not failed by then has handed the link over
# xdg-open's exit statuses (see its manual page).
_XDG_STATUS = {
    1: "xdg-open refused its arguments",
    2: "the link does not exist",
    3: "no program to open links is installed (xdg-open found no browser)",
    4: "the browser failed to open the link",
}


class NoBrowser(StoredeskError):
    """No browser opened the link."""


def uses_xdg_open() -> bool:
    """Whether links are opened through xdg-open here (Linux and the BSDs)."""
    return sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd"))


def open_with_xdg(url: str, settle: float = SETTLE) -> None:
    """Open `url` with xdg-open; NoBrowser if it fails (blocking: call it on a worker)."""
    program = shutil.which("xdg-open")
    if program is None:
        raise NoBrowser(f"cannot open {url}: xdg-open is not installed")
    try:
        process = subprocess.Popen(
            [program, url],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # a browser it starts outlives this app's signals
        )
    except OSError as e:
        raise NoBrowser(f"cannot open {url}: {e.strerror or e}") from None
    try:
        status = process.wait(timeout=settle)
    except subprocess.TimeoutExpired:
        # Still running: it started a browser in the foreground. Reap it when it ends.
        threading.Thread(target=process.wait, name="xdg-open", daemon=True).start()
        return
    if status != 0:
        why = _XDG_STATUS.get(status, f"xdg-open failed (exit status {status})")
        raise NoBrowser(f"cannot open {url}: {why}")
