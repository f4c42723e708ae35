"""What every benchmark module provides and receives, and how they are found.

A benchmark is a module `benchmarks/bench_<key>.py` with `SPEC: Spec` and
`run(ctx: Context) -> Outcome`. Adding one is adding such a module: run.py finds it.
"""

from __future__ import annotations

import importlib
import math
import os
import pkgutil
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Spec:
    """A benchmark's identity: its number in issue 6, key, title and goal (as written)."""

    number: str  # "1", "3a", ...: the order in the README table
    key: str  # what --only names
    title: str
    goal: str  # e.g. "ratio <= 1.10"; "" when the issue sets none


@dataclass
class Outcome:
    """A benchmark's result: its figure beside the baseline measured in the same run."""

    figure: float
    unit: str
    figure_label: str
    baseline: float
    baseline_label: str
    met: bool | None  # None: the issue sets no goal
    ratio: float | None = None  # figure / baseline unless the benchmark says otherwise
    details: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.ratio is None and self.baseline:
            self.ratio = self.figure / self.baseline

    def to_json(self) -> dict[str, Any]:
        """The outcome as results.json keeps it."""
        data = asdict(self)
        data["ratio"] = None if self.ratio is None else round(self.ratio, 3)
        return data


@dataclass
class Context:
    """What a benchmark gets: where to work, which tools, how thorough to be."""

    work: Path  # a fresh folder of its own, removed afterwards
    quick: bool
    tools: Path = field(
        default_factory=lambda: Path(os.environ.get("STOREDESK_TOOLS", ROOT / ".cache" / "tools"))
    )

    def helm(self, major: str) -> Path:
        """The pinned helm binary `major` ("3" or "4")."""
        path = self.tools / f"helm{major}" / "helm"
        if not path.exists():
            raise RuntimeError(f"helm {major} is not in {path.parent}: run `make tools`")
        return path

    def kubectl(self) -> Path:
        """The kubectl shipped beside helm 4."""
        return self.tools / "helm4" / "kubectl"

    def reps(self, full: int, quick: int) -> int:
        """How many repetitions: fewer with --quick."""
        return quick if self.quick else full

    def log(self, message: str) -> None:
        """Progress on stderr (results go to stdout)."""
        print(f"  {message}", file=sys.stderr, flush=True)


def discover() -> list[ModuleType]:
    """Every benchmark module, in the issue's order."""
    package = Path(__file__).parent
    modules = [
        importlib.import_module(f"benchmarks.{info.name}")
        for info in pkgutil.iter_modules([str(package)])
        if info.name.startswith("bench_")
    ]
    return sorted(modules, key=lambda m: _order(m.SPEC.number))


def _order(number: str) -> tuple[int, str]:
    digits = "".join(c for c in number if c.isdigit())
    return int(digits), number


# -- small statistics ------------------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    """The median (0 for no values)."""
    return statistics.median(values) if values else 0.0


def percentile(values: Sequence[float], pct: float) -> float:
    """The nearest-rank percentile, e.g. pct=95."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def wait_until(check: Callable[[], bool], timeout: float, what: str, every: float = 0.05) -> float:
    """Poll `check` until it holds; returns the seconds it took (RuntimeError on timeout)."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > timeout:
            raise RuntimeError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(every)
    return time.monotonic() - started


def keyring_usable() -> bool:
    """Whether the OS keyring answers (make bench provides one): then runs use it, as the
    app does by default; otherwise they pass --no-keyring / use_keyring=False."""
    from storedesk.cluster.keyring_store import CredentialStore
    from storedesk.domain.credentials import KeyringKey
    from storedesk.errors import KeyringUnavailable

    try:
        CredentialStore(timeout=5.0).get(KeyringKey("storedesk-bench", "probe", None))
    except KeyringUnavailable:
        return False
    return True
