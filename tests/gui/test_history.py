"""History and rollback in the window, and an engine known only from its folder, with helm 3
and 4: created, listed, converged, rolled back and deleted without a line of code naming it."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from storedesk.domain.models import Phase
from storedesk.sim import Simulator
from tests.gui.driver import TIMEOUT_MS, record, wait_connected, wait_idle, wait_phase
from tests.support import HelmBinary

pytestmark = [pytest.mark.gui, pytest.mark.helm, pytest.mark.keyring]
ENGINES = Path(__file__).resolve().parents[1] / "engines"


def answer_next_question(button_text: str) -> list[str]:
    """Click `button_text` in the next message box; returns its text once it was asked."""
    asked: list[str] = []

    def click() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, click)
            return
        asked.append(box.text())
        button = next(b for b in box.buttons() if b.text() == button_text)
        button.click()

    QTimer.singleShot(0, click)
    return asked


def test_a_data_only_engine_lives_its_whole_life_in_the_window(
    qtbot, sim: Simulator, open_window, helm: HelmBinary, monkeypatch
) -> None:
    monkeypatch.setenv("STOREDESK_ENGINES", str(ENGINES))
    monkeypatch.setenv("STOREDESK_HELM", str(helm.path))
    window = open_window(sim.kubeconfig, sim.context)
    wait_connected(qtbot, window)

    window.commands.new_store.trigger()
    dialog = window.new_store_dialog
    dialog.engine_combo.setCurrentIndex(dialog.engine_combo.findData("tinyshop"))
    qtbot.keyClicks(dialog.name_edit, "tiny")
    qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
    wait_phase(qtbot, window, "tiny", Phase.READY)
    wait_idle(qtbot, window)
    assert record(window, "tiny").engine == "tinyshop"
    assert record(window, "tiny").admin_url == "http://tiny.localhost/admin/"

    window.operations.retry(record(window, "tiny"))  # converge: revision 2, same passwords
    wait_idle(qtbot, window)

    window.table.select("tiny")
    history = window.details.history
    window.details.tabs.setCurrentWidget(history)
    qtbot.waitUntil(lambda: history.tree.topLevelItemCount() == 2, timeout=TIMEOUT_MS)
    assert history.tree.topLevelItem(0).text(0) == "2"  # newest first
    assert history.tree.topLevelItem(0).text(2) == "tinyshop-0.1.0"
    assert not history.rollback_button.isEnabled()  # nothing selected: nothing to roll back
    history.tree.setCurrentItem(history.tree.topLevelItem(0))
    assert not history.rollback_button.isEnabled()  # the current revision
    history.tree.setCurrentItem(history.tree.topLevelItem(1))
    assert history.rollback_button.isEnabled()

    asked = answer_next_question("Roll back")
    qtbot.mouseClick(history.rollback_button, Qt.MouseButton.LeftButton)
    assert asked and "from revision 2" in asked[0] and "to revision 1" in asked[0]
    assert "passwords stay the same" in asked[0]
    qtbot.waitUntil(lambda: window.model.busy("tiny") == "rolling back", timeout=TIMEOUT_MS)
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: history.tree.topLevelItemCount() == 3, timeout=TIMEOUT_MS)
    assert "Rollback to 1" in history.tree.topLevelItem(0).text(5)
    wait_phase(qtbot, window, "tiny", Phase.READY)

    window.delete_store("tiny")
    qtbot.keyClicks(window.delete_dialog.confirm_edit, "tiny")
    qtbot.mouseClick(window.delete_dialog.delete_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: record(window, "tiny") is None, timeout=TIMEOUT_MS)


def test_declining_a_rollback_changes_nothing(qtbot, sim: Simulator, window) -> None:
    window.commands.new_store.trigger()
    qtbot.keyClicks(window.new_store_dialog.name_edit, "keep")
    qtbot.mouseClick(window.new_store_dialog.create_button, Qt.MouseButton.LeftButton)
    wait_phase(qtbot, window, "keep", Phase.READY)
    window.operations.retry(record(window, "keep"))
    wait_idle(qtbot, window)
    window.table.select("keep")
    history = window.details.history
    window.details.tabs.setCurrentWidget(history)
    qtbot.waitUntil(lambda: history.tree.topLevelItemCount() == 2, timeout=TIMEOUT_MS)
    history.tree.setCurrentItem(history.tree.topLevelItem(1))
    sim.reset_request_counts()
    answer_next_question("Cancel")
    qtbot.mouseClick(history.rollback_button, Qt.MouseButton.LeftButton)
    qtbot.wait(300)
    assert not window.operations.running()
    assert not [k for k in sim.request_counts() if k.split(" ")[0] in ("POST", "PUT", "PATCH")]
