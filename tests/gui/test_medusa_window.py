"""Medusa through the window as through the CLI (issue 14): offered in New store with what its
first install costs, created Ready on the simulator with helm 3 and 4, converged without a
password rotated, a failing setup Job shown as Failed with its reason, deleted."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from storedesk.domain.models import Phase
from tests.gui.driver import TIMEOUT_MS, record, wait_connected, wait_idle, wait_phase
from tests.support import HelmBinary

pytestmark = [pytest.mark.gui, pytest.mark.helm, pytest.mark.keyring]


def create_medusa(qtbot, window, name: str) -> None:
    window.commands.new_store.trigger()
    dialog = window.new_store_dialog
    dialog.engine_combo.setCurrentIndex(dialog.engine_combo.findData("medusa"))
    assert "needs the internet" in dialog.engine_cost.text()  # what a first install costs
    qtbot.keyClicks(dialog.name_edit, name)
    qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)


def test_a_medusa_store_lives_its_life_in_the_window(
    qtbot, sim, open_window, helm: HelmBinary, monkeypatch
) -> None:
    monkeypatch.setenv("STOREDESK_HELM", str(helm.path))
    window = open_window(sim.kubeconfig, sim.context)
    wait_connected(qtbot, window)
    create_medusa(qtbot, window, "med")
    wait_phase(qtbot, window, "med", Phase.READY)
    wait_idle(qtbot, window)
    assert record(window, "med").engine == "medusa"
    assert dict(record(window, "med").links)["Store API"].endswith("/store/")
    service = window.session.service
    before = service.credentials("med")
    window.operations.retry(record(window, "med"))  # converge: one upgrade
    wait_idle(qtbot, window)
    assert service.credentials("med") == before  # nothing rotated
    window.delete_store("med")
    qtbot.keyClicks(window.delete_dialog.confirm_edit, "med")
    qtbot.mouseClick(window.delete_dialog.delete_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: record(window, "med") is None, timeout=TIMEOUT_MS)


def test_a_failing_medusa_setup_job_shows_failed_with_its_reason(qtbot, sim, window) -> None:
    sim.faults.fail_image("*node:24.19.0-bookworm@*", "Error")
    create_medusa(qtbot, window, "medf")
    wait_phase(qtbot, window, "medf", Phase.FAILED)
    status = record(window, "medf").status
    assert status.reason == "setup job failed" and "setup" in status.detail
    sim.faults.clear_image_failures()
