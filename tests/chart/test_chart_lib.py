"""The library chart every store chart shares (issue 14): each chart's vendored copy equals
the source, so helm installs from a checkout with no `helm dependency build` and no
repository, and what the copy renders is what the source says."""

from __future__ import annotations

import filecmp
from pathlib import Path

import pytest
import yaml

from tests.support import ROOT

LIB = ROOT / "charts" / "storedesk-lib"
FIX = "rm -rf {copy} && cp -r charts/storedesk-lib {copy}"


def users() -> list[Path]:
    """The charts that declare the library as a dependency."""
    found = []
    for chart in sorted((ROOT / "charts").glob("*/Chart.yaml")):
        meta = yaml.safe_load(chart.read_text())
        if any(d["name"] == "storedesk-lib" for d in meta.get("dependencies") or []):
            found.append(chart.parent)
    return found


def files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_the_library_is_a_library_chart():
    meta = yaml.safe_load((LIB / "Chart.yaml").read_text())
    assert meta["type"] == "library"
    assert not (LIB / "values.yaml").exists()  # a library renders nothing of its own


def test_medusa_uses_the_library():
    assert ROOT / "charts" / "medusa" in users()


@pytest.mark.parametrize("chart", users(), ids=lambda p: p.name)
def test_each_vendored_copy_equals_the_source(chart):
    meta = yaml.safe_load((chart / "Chart.yaml").read_text())
    [dependency] = [d for d in meta["dependencies"] if d["name"] == "storedesk-lib"]
    assert dependency["repository"] == "file://../storedesk-lib"
    assert dependency["version"] == yaml.safe_load((LIB / "Chart.yaml").read_text())["version"]
    copy = chart / "charts" / "storedesk-lib"
    fix = FIX.format(copy=copy.relative_to(ROOT))
    assert copy.is_dir() and not copy.is_symlink(), f"no copy of the library: {fix}"
    assert files(copy) == files(LIB), f"the copy's files differ: {fix}"
    _, mismatch, errors = filecmp.cmpfiles(LIB, copy, files(LIB), shallow=False)
    assert not mismatch and not errors, f"{mismatch + errors} differ: {fix}"
    # A packaged copy beside it would be loaded too, and could be stale.
    assert not list((chart / "charts").glob("*.tgz"))
