"""Fixtures shared by every test: the pinned helm/kubectl binaries, and the simulator."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.support import HelmBinary, helm_binary

if TYPE_CHECKING:
    from storedesk.sim import Simulator


@pytest.fixture(params=["3", "4"], ids=["helm3", "helm4"])
def helm(request: pytest.FixtureRequest) -> HelmBinary:
    """Each test using this runs once with helm 3 and once with helm 4."""
    return helm_binary(request.param)


@pytest.fixture
def kubectl() -> Path:
    """A real kubectl (1.35, shipped with the helm 4 wheel)."""
    return helm_binary("4").kubectl


@pytest.fixture
def sim() -> Iterator[Simulator]:
    """A fresh simulated cluster (pods become Ready 0.3 s after they start)."""
    from storedesk.sim import Simulator

    with Simulator(ready_delay=0.3) as running:
        yield running
