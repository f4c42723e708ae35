"""The engine's StatusMonitor on a QThread, its snapshots delivered on the GUI thread."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal

from storedesk.ui.workers import FunctionThread

if TYPE_CHECKING:
    from storedesk.provisioning.service import StoreService


class MonitorWorker(QObject):
    """Follows one cluster's stores until stopped."""

    snapshot = Signal(object)  # storedesk.provisioning.monitor.Snapshot, on the GUI thread
    failed = Signal(object)  # an unexpected exception ended the monitor
    finished = Signal()
    _from_thread = Signal(object)
    _failed_in_thread = Signal(object)

    def __init__(self, service: StoreService, parent: QObject | None = None) -> None:
        super().__init__(parent)
        from storedesk.provisioning.monitor import StatusMonitor

        self.monitor = StatusMonitor(service, on_update=self._from_thread.emit)
        self._from_thread.connect(self.snapshot, Qt.ConnectionType.QueuedConnection)
        self._failed_in_thread.connect(self.failed, Qt.ConnectionType.QueuedConnection)
        self._thread = FunctionThread(self._run, "status-monitor")
        self._thread.finished.connect(self.finished, Qt.ConnectionType.QueuedConnection)

    def start(self) -> None:
        """Start following."""
        self._thread.start()

    def refresh(self) -> None:
        """List everything again now."""
        self.monitor.refresh()

    def rederive(self) -> None:
        """Derive the rows again from what the monitor knows (no API call)."""
        self.monitor.rederive()

    def stop(self) -> None:
        """Ask the monitor to end (it returns promptly; `finished` follows)."""
        self.monitor.stop()

    def wait(self, milliseconds: int) -> bool:
        """Block until the thread ended (only at shutdown, when no window is shown)."""
        return self._thread.wait(milliseconds)

    def _run(self) -> None:
        try:
            self.monitor.run()
        except Exception as exc:  # the monitor handles cluster errors itself; this is a bug
            self._failed_in_thread.emit(exc)
