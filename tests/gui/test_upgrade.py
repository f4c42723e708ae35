"""Upgrade, with helm 3 and 4: when the chart this Storedesk ships is newer than a store's
deployed chart, its row says so; Upgrade… says what changes, runs the converge create runs,
and helm rolls the store back at once when the new chart fails."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox

from storedesk.cluster.kubeconfig import resolve_target
from storedesk.domain.models import Phase
from storedesk.provisioning.engines import engines
from storedesk.provisioning.service import Settings, StoreService
from storedesk.provisioning.upgrades import is_newer, shipped_chart, version_key
from storedesk.sim import Simulator
from storedesk.ui.main_window import MainWindow
from storedesk.ui.store_model import Column
from tests.gui.driver import TIMEOUT_MS, record, status_cell, wait_connected, wait_idle, wait_phase
from tests.support import HelmBinary

pytestmark = [pytest.mark.gui, pytest.mark.helm, pytest.mark.keyring]
TINYSHOP = Path(__file__).resolve().parents[1] / "engines" / "tinyshop"


def test_versions_compare_as_semver() -> None:
    assert is_newer("0.2.0", "0.1.0")
    assert is_newer("0.10.0", "0.9.3")
    assert is_newer("1.0.0", "1.0.0-rc.2")
    assert is_newer("1.0.0-rc.10", "1.0.0-rc.2")
    assert not is_newer("0.1.0", "0.1.0")
    assert not is_newer("0.1.0", "0.2.0")
    assert not is_newer("main", "0.1.0")  # not a version: never offered
    assert version_key("v1.2") == ((1, 2, 0), 1, ())


def test_the_shipped_chart_is_read_from_the_engines_chart() -> None:
    name, version = shipped_chart(engines().get("woocommerce"))
    chart = (Path(engines().get("woocommerce").chart) / "Chart.yaml").read_text()
    assert name == "woocommerce" and f"version: {version}" in chart


@pytest.fixture
def engine_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the Tiny Shop engine whose chart the test can bump."""
    folder = tmp_path / "engines"
    shutil.copytree(TINYSHOP, folder / "tinyshop")
    monkeypatch.setenv("STOREDESK_ENGINES", str(folder))
    return folder / "tinyshop"


def bump(chart: Path, version: str, image: str | None = None) -> None:
    """Ship chart `version` (and, if given, a new image in it)."""
    meta = chart / "Chart.yaml"
    meta.write_text(meta.read_text().replace("version: 0.1.0", f"version: {version}"))
    if image is not None:
        template = chart / "templates" / "all.yaml"
        template.write_text(template.read_text().replace('"nginx:1.27.3"', f'"{image}"'))


def create_old_store(sim: Simulator, data_dir: Path, name: str) -> None:
    target = resolve_target(str(sim.kubeconfig), sim.context)
    StoreService(target, settings=Settings(data_dir=data_dir, timeout=60)).create(
        name, "tinyshop", wait=True
    )


def answer(window: MainWindow, button: str) -> str:
    """Click `button` in the window's open question; its text."""
    box = window.message_box
    assert isinstance(box, QMessageBox) and box.isVisible()
    text = box.text()
    next(b for b in box.buttons() if b.text() == button).click()
    return text


def history_charts(qtbot, window: MainWindow, count: int) -> list[tuple[str, str, str]]:
    history = window.details.history
    window.details.tabs.setCurrentWidget(history)
    qtbot.waitUntil(lambda: history.tree.topLevelItemCount() == count, timeout=TIMEOUT_MS)
    items = [history.tree.topLevelItem(i) for i in range(count)]
    return [(i.text(0), i.text(1), i.text(2)) for i in items]  # newest first


def test_a_store_on_an_older_chart_is_upgraded_from_the_window(
    qtbot,
    sim: Simulator,
    data_dir: Path,
    engine_dir: Path,
    open_window,
    helm: HelmBinary,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("STOREDESK_HELM", str(helm.path))
    create_old_store(sim, data_dir, "tiny")
    bump(engine_dir, "0.2.0")
    window: MainWindow = open_window(sim.kubeconfig, sim.context)
    wait_connected(qtbot, window)
    qtbot.waitUntil(
        lambda: (
            window.model.row_of("tiny") is not None
            and status_cell(window, "tiny") == "Ready · upgrade to 0.2.0"
        ),
        timeout=TIMEOUT_MS,
    )
    window.table.select("tiny")
    details = window.details
    assert details.upgrade_box.isVisible()
    assert "tinyshop-0.1.0" in details.upgrade_text.text()
    assert "tinyshop-0.2.0" in details.upgrade_text.text()
    assert window.commands.upgrade.isEnabled()

    window.commands.upgrade.trigger()
    asked = answer(window, "Upgrade")
    assert "from chart <b>tinyshop-0.1.0</b> to <b>tinyshop-0.2.0</b>" in asked
    assert "rolls the store back to revision 1" in asked
    assert "passwords" in asked
    assert window.model.busy("tiny") == "upgrading"
    wait_idle(qtbot, window)
    wait_phase(qtbot, window, "tiny", Phase.READY)
    qtbot.waitUntil(lambda: status_cell(window, "tiny") == "Ready", timeout=TIMEOUT_MS)
    assert not details.upgrade_box.isVisible()
    assert not window.commands.upgrade.isEnabled()
    charts = history_charts(qtbot, window, 2)
    assert charts[0] == ("2", "deployed", "tinyshop-0.2.0")
    assert charts[1][2] == "tinyshop-0.1.0"
    assert not window.notice.isVisible()


def test_a_failed_upgrade_is_rolled_back_by_helm(
    qtbot,
    sim: Simulator,
    data_dir: Path,
    engine_dir: Path,
    open_window,
    helm: HelmBinary,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("STOREDESK_HELM", str(helm.path))
    create_old_store(sim, data_dir, "tiny")
    bump(engine_dir, "0.2.0", image="nginx:9.9-broken")
    sim.faults.fail_image("nginx:9.9*", "ImagePullBackOff")
    window: MainWindow = open_window(sim.kubeconfig, sim.context)
    wait_connected(qtbot, window)
    qtbot.waitUntil(
        lambda: (
            window.model.row_of("tiny") is not None
            and "upgrade to 0.2.0" in status_cell(window, "tiny")
        ),
        timeout=TIMEOUT_MS,
    )
    window.table.select("tiny")
    window.upgrade_store("tiny")
    answer(window, "Upgrade")
    wait_idle(qtbot, window)
    qtbot.waitUntil(window.notice.isVisible, timeout=TIMEOUT_MS)
    assert "Could not upgrade tiny" in window.notice.message.text()
    charts = history_charts(qtbot, window, 3)
    assert charts[0][2] == "tinyshop-0.1.0"  # helm put revision 1's chart back
    assert charts[1] == ("2", "failed", "tinyshop-0.2.0")
    description = window.details.history.tree.topLevelItem(0).text(5)
    assert "Rollback to 1" in description
    wait_phase(qtbot, window, "tiny", Phase.READY)
    # Still on the old chart: the upgrade is offered again.
    qtbot.waitUntil(lambda: "upgrade to 0.2.0" in status_cell(window, "tiny"), timeout=TIMEOUT_MS)
    assert record(window, "tiny").release_revision == 3
    row = window.model.row_of("tiny")
    assert "tinyshop-0.1.0" in window.model.index(row, Column.STATUS).data(3)
    sim.faults.clear_image_failures()
