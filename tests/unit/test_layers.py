"""The import-layer contracts (pyproject.toml's [tool.importlinter], run by `make lint`)
catch what they promise to: each gets a deliberate violation in a copy of the package."""

from __future__ import annotations

import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

# (file, the import added to it, the contract that must name it, what it reports)
VIOLATIONS = [
    ("domain/names.py", "import subprocess", "pure-domain", "storedesk.domain.names -> subprocess"),
    ("domain/names.py", "import os", "pure-domain", "storedesk.domain.names -> os"),
    ("domain/models.py", "import yaml", "pure-domain", "storedesk.domain.models -> yaml"),
    ("domain/models.py", "import PySide6", "pure-domain", "storedesk.domain.models -> PySide6"),
    (
        "domain/names.py",
        "import storedesk.provisioning.events",
        "pure-domain",
        "storedesk.domain.names -> storedesk.provisioning.events",
    ),
    (
        "ui/palette.py",
        "import storedesk.cluster.kube",
        "ui-through-provisioning",
        "storedesk.ui.palette -> storedesk.cluster.kube",
    ),
    (
        "ui/palette.py",
        "import storedesk.sim.quantity",
        "ui-through-provisioning",
        "storedesk.ui.palette -> storedesk.sim.quantity",
    ),
    (
        "sim/quantity.py",
        "import storedesk.domain.names",
        "sim-standalone",
        "storedesk.sim.quantity -> storedesk.domain.names",
    ),
    (
        "cluster/kube.py",
        "import storedesk.provisioning.events",
        "layers",
        "storedesk.cluster.kube -> storedesk.provisioning.events",
    ),
    (
        "provisioning/events.py",
        "import storedesk.ui.palette",
        "layers",
        "storedesk.provisioning.events -> storedesk.ui.palette",
    ),
    (
        "domain/names.py",
        "import storedesk.cluster.kube",
        "layers",
        "storedesk.domain.names -> storedesk.cluster.kube",
    ),
]


def check_contract(root: Path, contract: str) -> str:
    """lint-imports' report of one contract, run on the package copy under `root`."""
    done = subprocess.run(
        [str(LINT_IMPORTS), "--no-logo", "--no-cache", "--contract", contract],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.stdout + done.stderr


@cache
def untouched_report(root: Path, contract: str) -> str:
    """The contract's report before any violation is added (once per contract)."""
    return check_contract(root, contract)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package and its contracts as they are in the work tree."""
    root = tmp_path_factory.mktemp("pristine")
    shutil.copytree(ROOT / "storedesk", root / "storedesk", ignore=shutil.ignore_patterns("*.pyc"))
    shutil.copy(ROOT / "pyproject.toml", root)
    return root


@pytest.mark.parametrize(
    ("file", "line", "contract", "reported"),
    VIOLATIONS,
    ids=[f"{contract}:{line.split()[-1]}" for _, line, contract, _ in VIOLATIONS],
)
def test_a_contract_names_a_deliberate_violation(
    pristine: Path, tmp_path: Path, file: str, line: str, contract: str, reported: str
) -> None:
    assert reported not in untouched_report(pristine, contract)
    root = tmp_path / "tree"
    shutil.copytree(pristine, root)
    target = root / "storedesk" / file
    target.write_text(target.read_text() + f"\n{line}  # a deliberate violation\n")
    report = check_contract(root, contract)
    assert "BROKEN" in report
    assert reported in report
