"""Fixtures for driving the real window against the simulator (QT_QPA_PLATFORM=offscreen)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings

from storedesk.sim import Simulator
from storedesk.ui.main_window import MainWindow
from storedesk.ui.ui_settings import UiSettings
from tests.gui.driver import wait_connected
from tests.support import helm_binary

HELM_TIMEOUT = 20.0  # seconds: how long a create whose pods never start keeps helm waiting


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private data dir (event logs, locks, demo state) and the pinned helm 4."""
    folder = tmp_path / "data"
    monkeypatch.setenv("STOREDESK_DATA_DIR", str(folder))
    monkeypatch.setenv("STOREDESK_HELM", str(helm_binary("4").path))
    return folder


@pytest.fixture
def ui_settings(tmp_path: Path) -> UiSettings:
    """Window settings in a private file, never the user's."""
    return UiSettings(QSettings(str(tmp_path / "storedesk.ini"), QSettings.Format.IniFormat))


@pytest.fixture
def open_window(
    qtbot, data_dir: Path, ui_settings: UiSettings
) -> Iterator[Callable[..., MainWindow]]:
    """Opens real main windows; closes them (after their operations) at the end.

    Not registered with qtbot.addWidget: pytest-qt would delete the window, and its
    workers with it, while an operation still runs."""
    windows: list[MainWindow] = []

    def open_(kubeconfig: Path | str, context: str | None = None) -> MainWindow:
        window = MainWindow(
            kubeconfig=str(kubeconfig),
            context=context,
            settings=ui_settings,
            data_dir=data_dir,
            timeout=HELM_TIMEOUT,
        )
        window.show()
        window.start()
        windows.append(window)
        return window

    yield open_
    for window in windows:
        try:
            # A create whose pods cannot start runs until helm gives up (HELM_TIMEOUT).
            qtbot.waitUntil(
                lambda w=window: not w.operations.running(), timeout=int(HELM_TIMEOUT * 3 * 1000)
            )
            window.close()
        finally:
            window.runner.wait(int(HELM_TIMEOUT * 3 * 1000))
            window.session.shutdown()
            window.deleteLater()


@pytest.fixture
def window(sim: Simulator, open_window: Callable[..., MainWindow], qtbot) -> MainWindow:
    """The main window, connected to the `sim` cluster."""
    opened = open_window(sim.kubeconfig, sim.context)
    wait_connected(qtbot, opened)
    return opened
