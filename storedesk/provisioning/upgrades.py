"""Which stores run an older chart than the one this Storedesk ships.

A store's deployed chart is its release's `name-version` (one `helm list` for every store
at once); the shipped one is its engine's Chart.yaml, read anew each time so a chart
replaced under a running app is seen. Upgrading is the converge a create runs on an
existing store (the same passwords and options, one helm upgrade, rolled back by helm
when it fails): StoreService.create, nothing of its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from storedesk.domain.engines import Engine
from storedesk.domain.models import StoreRecord
from storedesk.errors import InvalidInput
from storedesk.provisioning.engines import engines

if TYPE_CHECKING:
    from storedesk.provisioning.service import StoreService

_VERSION = re.compile(r"^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?(?:\+.*)?$")


@dataclass(frozen=True)
class Upgrade:
    """A store whose deployed chart is older than the shipped one."""

    store: str
    chart: str  # the chart's name, e.g. woocommerce
    deployed: str  # its version on the cluster, e.g. 0.1.0
    shipped: str  # the version this Storedesk installs, e.g. 0.2.0
    revision: int  # the release's current revision (what a failed upgrade returns to)

    @property
    def deployed_chart(self) -> str:
        """name-version as helm shows it."""
        return f"{self.chart}-{self.deployed}"

    @property
    def shipped_chart(self) -> str:
        """name-version as helm will show it after the upgrade."""
        return f"{self.chart}-{self.shipped}"


def shipped_chart(engine: Engine) -> tuple[str, str]:
    """(name, version) of the chart `engine` installs, from its Chart.yaml."""
    path = Path(engine.chart) / "Chart.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
        raise InvalidInput(f"cannot read {path}: {e}", hint="reinstall Storedesk") from None
    if not isinstance(data, dict) or not data.get("name") or not data.get("version"):
        raise InvalidInput(f"{path} names no chart name and version", hint="reinstall Storedesk")
    return str(data["name"]), str(data["version"])


def version_key(version: str) -> tuple[tuple[int, int, int], int, tuple[object, ...]] | None:
    """A sort key for a SemVer 2 version (a release sorts after its pre-releases), or None
    for a version that is not one."""
    match = _VERSION.match(version.strip())
    if match is None:
        return None
    major, minor, patch, pre = match.groups()
    core = (int(major), int(minor or 0), int(patch or 0))
    if pre is None:
        return core, 1, ()
    parts = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split("."))
    return core, 0, parts


def is_newer(candidate: str, than: str) -> bool:
    """Whether version `candidate` is newer than `than` (False when either is no SemVer)."""
    new, old = version_key(candidate), version_key(than)
    return new is not None and old is not None and new > old


def find_upgrades(service: StoreService, stores: Iterable[StoreRecord]) -> dict[str, Upgrade]:
    """The stores among `stores` whose deployed chart is older than the shipped one
    (blocking: one helm call; call it on a worker)."""
    wanted = {record.name: record for record in stores}
    if not wanted:
        return {}
    releases = {(r.namespace, r.name): r for r in service.helm.list_releases(None)}
    found: dict[str, Upgrade] = {}
    for name, record in wanted.items():
        release = releases.get((record.namespace, name))
        if release is None or not release.chart:
            continue
        try:
            chart, version = shipped_chart(engines().get(record.engine))
        except InvalidInput:  # an engine this Storedesk does not have: nothing to offer
            continue
        if not release.chart.startswith(chart + "-"):
            continue  # another chart than the engine's: not ours to upgrade
        deployed = release.chart[len(chart) + 1 :]
        if is_newer(version, deployed):
            found[name] = Upgrade(name, chart, deployed, version, release.revision)
    return found
