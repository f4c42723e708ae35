"""Driving the main window as a user would: dialogs, actions, and reading the table."""

from __future__ import annotations

from PySide6.QtCore import Qt

from storedesk.domain.models import Phase, StoreRecord
from storedesk.ui.main_window import MainWindow
from storedesk.ui.session import Connection
from storedesk.ui.store_model import Column

TIMEOUT_MS = 60_000  # a create runs real helm against the simulator


def wait_connected(qtbot, window: MainWindow) -> None:
    """Until the window follows a reachable cluster."""
    qtbot.waitUntil(
        lambda: window.session.state.connection == Connection.REACHABLE, timeout=TIMEOUT_MS
    )


def wait_idle(qtbot, window: MainWindow) -> None:
    """Until no create or delete runs in the window."""
    qtbot.waitUntil(lambda: not window.operations.running(), timeout=TIMEOUT_MS)


def record(window: MainWindow, name: str) -> StoreRecord | None:
    """The row of `name` as the table's model holds it."""
    return window.model.record(name)


def phase(window: MainWindow, name: str) -> Phase | None:
    """The phase the row of `name` shows."""
    found = record(window, name)
    return found.status.phase if found else None


def status_cell(window: MainWindow, name: str) -> str:
    """The text of the status cell of `name`, as the view shows it."""
    row = window.model.row_of(name)
    assert row is not None, f"no row for {name}"
    return window.model.index(row, Column.STATUS).data()


def visible_names(window: MainWindow) -> list[str]:
    """Store names in the table, as the (sorted, filtered) view shows them."""
    proxy = window.table.proxy
    return [proxy.index(r, Column.NAME).data() for r in range(proxy.rowCount())]


def create_with_dialog(qtbot, window: MainWindow, name: str) -> None:
    """New store -> type the name -> Create."""
    window.commands.new_store.trigger()
    dialog = window.new_store_dialog
    assert dialog is not None and dialog.isVisible()
    qtbot.keyClicks(dialog.name_edit, name)
    assert dialog.create_button.isEnabled(), dialog.problems()
    qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()


def wait_phase(qtbot, window: MainWindow, name: str, wanted: Phase) -> None:
    """Until the row of `name` shows `wanted`."""
    qtbot.waitUntil(lambda: phase(window, name) == wanted, timeout=TIMEOUT_MS)
