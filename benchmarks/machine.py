"""The machine a run measured: CPU, cores, memory, Python, helm, commit, date."""

from __future__ import annotations

import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

from benchmarks.harness import ROOT


def cpu_model() -> str:
    """The CPU's model name as the kernel reports it."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def helm_versions(tools: Path) -> dict[str, str]:
    """The pinned helm binaries' versions ("3": "v3.19.0", ...)."""
    found = {}
    for major in ("3", "4"):
        version = tools / f"helm{major}" / "VERSION"
        if version.exists():
            found[major] = version.read_text().strip()
    return found


def git_commit() -> str:
    """The commit measured (with "+dirty" when the tree has changes)."""
    try:
        head = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


def machine_info(tools: Path) -> dict[str, Any]:
    """Everything results.json says about where and when it was measured."""
    return {
        "cpu": cpu_model(),
        "cores": psutil.cpu_count(logical=True),
        "ram_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "helm": helm_versions(tools),
        "commit": git_commit(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }
