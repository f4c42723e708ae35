"""Loads the selected store's details on a worker: one load at a time, the latest wins."""

from __future__ import annotations

from PySide6.QtCore import QObject

from storedesk.ui.details_pane import DetailsPane
from storedesk.ui.operations import StoreOperations
from storedesk.ui.text import error_text


class DetailsLoader(QObject):
    """Coalesces requests: while a load runs, only the newest request waits for its turn."""

    def __init__(
        self, operations: StoreOperations, pane: DetailsPane, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._operations = operations
        self._pane = pane
        self._loading = False
        self._next: str | None = None

    def load(self, name: str) -> None:
        """Load `name`'s pods, events and log (now, or after the load that runs)."""
        if self._loading:
            self._next = name
            return
        self._loading = True
        self._operations.load_details(
            name,
            self._pane.show_details,
            on_error=lambda error: self._pane.show_problem(error_text(error)),
            on_finished=self._done,
        )

    def _done(self) -> None:
        self._loading = False
        name, self._next = self._next, None
        if name is not None and self._pane.record is not None and self._pane.record.name == name:
            self.load(name)
