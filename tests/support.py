"""Helpers shared by tests: the pinned helm/kubectl binaries and running them."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from storedesk.sim import Simulator

ROOT = Path(__file__).resolve().parent.parent
TOOLS = Path(os.environ.get("STOREDESK_TOOLS", ROOT / ".cache" / "tools"))


@dataclass(frozen=True)
class HelmBinary:
    """A pinned helm binary (and the kubectl shipped beside it)."""

    major: str
    path: Path
    kubectl: Path

    @property
    def version(self) -> str:
        """e.g. v3.19.0"""
        return (self.path.parent / "VERSION").read_text().strip()


def helm_binary(major: str) -> HelmBinary:
    """The cached helm `major`; fails (never skips) when `make tools` has not run."""
    folder = TOOLS / f"helm{major}"
    if not (folder / "helm").exists():
        pytest.fail(f"helm {major} is not in {folder}: run `make tools` (make test does)")
    return HelmBinary(major, folder / "helm", folder / "kubectl")


def run_tool(
    binary: Path,
    sim: Simulator,
    *args: str,
    input: str | None = None,
    check: bool = True,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """Run kubectl or helm against the simulator, naming its kubeconfig and context."""
    context_flag = "--kube-context" if binary.name == "helm" else "--context"
    argv = [str(binary), "--kubeconfig", str(sim.kubeconfig), context_flag, sim.context, *args]
    result = subprocess.run(
        argv, input=input, capture_output=True, text=True, timeout=timeout, check=False
    )
    if check and result.returncode != 0:
        pytest.fail(f"{' '.join(argv[3:])} failed ({result.returncode}):\n{result.stderr}")
    return result
