"""Running `storedesk` as a separate process, as users do, and watching the helm it starts."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from storedesk.sim import Simulator
from tests.support import helm_binary

HELM4 = helm_binary("4")


def cli_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a CLI run: helm 4, a data dir of the test's own."""
    base = {**os.environ, "STOREDESK_HELM": str(HELM4.path), "STOREDESK_DATA_DIR": str(data_dir)}
    return {**base, **extra}


def start_cli(sim: Simulator, env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    """`storedesk --kubeconfig SIM ARGS...` started in a session of its own, so a signal
    sent to it reaches it alone (not helm, which stays in its process group)."""
    return subprocess.Popen(
        [sys.executable, "-m", "storedesk", "--kubeconfig", str(sim.kubeconfig), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def run_cli(
    sim: Simulator, env: dict[str, str], *args: str, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    """`storedesk --kubeconfig SIM ARGS...` to its end (a hang fails the test at `timeout`)."""
    return subprocess.run(
        [sys.executable, "-m", "storedesk", "--kubeconfig", str(sim.kubeconfig), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def wait_for(condition: Callable[[], object], timeout: float = 60, what: str = "it") -> None:
    """Poll `condition` until it is true; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout:.0f}s")
        time.sleep(0.05)


def _stat_fields(pid: int) -> list[str]:
    # /proc/PID/stat: "pid (comm) state ppid ..."; comm may hold spaces.
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def helm_child(parent: int, verb: str) -> int | None:
    """The pid of a helm `verb` process whose parent is `parent`, if one runs."""
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            ppid = int(_stat_fields(int(entry.name))[1])
        except (OSError, ValueError, IndexError):
            continue
        if ppid == parent and argv[0].endswith(b"/helm") and verb.encode() in argv:
            return int(entry.name)
    return None


def wait_for_helm(parent: int, verb: str, timeout: float = 60) -> int:
    """Wait until `parent` runs helm `verb`; its pid."""
    found: list[int] = []

    def running() -> bool:
        pid = helm_child(parent, verb)
        if pid is not None:
            found.append(pid)
        return bool(found)

    wait_for(running, timeout, f"helm {verb}")
    return found[0]


def alive(pid: int) -> bool:
    """The process runs (a zombie nobody reaped yet has ended)."""
    try:
        return _stat_fields(pid)[0] != "Z"
    except (OSError, IndexError):
        return False


def requests_seen(sim: Simulator, condition: Callable[[str], bool]) -> bool:
    """Some request the simulator served matches `condition` ("METHOD /path")."""
    while True:
        try:  # the server's threads count while we look
            return any(condition(key) for key in sim.request_counts())
        except RuntimeError:
            continue
