"""Starting the desktop app as its own process (see gui_launch.py) and reading what it
reports: seconds from process start to the first paint, and RSS with the stores listed."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

LAUNCH_TIMEOUT = 180.0


@dataclass(frozen=True)
class Launch:
    """What one start of the window reported."""

    shown_s: float  # from just before the process was started to the window's first paint
    rows: int | None = None
    rss: int | None = None  # bytes, once `rows` stores were listed


def launch(
    mode: str,
    work: Path,
    *,
    kubeconfig: Path | None = None,
    context: str | None = None,
    helm: Path | None = None,
    rows: int | None = None,
) -> Launch:
    """Start `python -m benchmarks.gui_launch MODE` (a fresh settings folder each time)."""
    argv = [sys.executable, "-m", "benchmarks.gui_launch"]
    if rows is not None:
        argv += ["--rows", str(rows)]  # before MODE: the app's arguments follow it
    argv.append(mode)
    if kubeconfig is not None:
        argv += ["--", "--kubeconfig", str(kubeconfig), "--context", str(context)]
    config = work / f"config-{time.monotonic_ns()}"
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen"),
        "XDG_CONFIG_HOME": str(config),  # the window's QSettings: nothing remembered
        "STOREDESK_DATA_DIR": str(work / "data"),
        **({"STOREDESK_HELM": str(helm)} if helm else {}),
    }
    started = time.time()
    done = subprocess.run(
        argv, env=env, capture_output=True, text=True, timeout=LAUNCH_TIMEOUT, check=False
    )
    lines = dict(line.split(" ", 1) for line in done.stdout.splitlines() if " " in line)
    if done.returncode != 0 or "shown" not in lines or (rows is not None and "listed" not in lines):
        raise RuntimeError(f"{mode} window: exit {done.returncode}\n{done.stdout}\n{done.stderr}")
    shown = float(lines["shown"]) - started
    if rows is None:
        return Launch(shown)
    listed, rss = lines["listed"].split()
    return Launch(shown, int(listed), int(rss))
