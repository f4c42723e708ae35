"""The desktop window in this process, for the GUI benchmarks: the app's own MainWindow
(session, status monitor, table model), driven through its public API, plus a heartbeat
timer on the GUI thread. Qt must run offscreen (make bench sets QT_QPA_PLATFORM)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEventLoop, QObject, QSettings, Qt, QTimer
from PySide6.QtWidgets import QApplication

from storedesk.domain.models import Phase

if TYPE_CHECKING:
    from storedesk.ui.main_window import MainWindow

CONNECT_TIMEOUT = 60.0


def application() -> QApplication:
    """The process's QApplication (one per process: the GUI benchmarks share it)."""
    app = QApplication.instance()
    if app is None:
        app = QApplication(["storedesk-bench"])
    assert isinstance(app, QApplication)
    return app


def pump(milliseconds: int = 10) -> None:
    """Run the GUI event loop for a while (timers, queued signals, painting)."""
    application()  # without one, the loop below would never return
    loop = QEventLoop()
    QTimer.singleShot(milliseconds, loop.quit)
    loop.exec()


def wait_for(check: Callable[[], bool], timeout: float, what: str) -> float:
    """Run the event loop until `check` holds; the seconds it took (RuntimeError on timeout)."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > timeout:
            raise RuntimeError(f"timed out after {timeout:.0f}s waiting for {what}")
        pump()
    return time.monotonic() - started


@contextmanager
def helm_for_app(helm: Path) -> Iterator[None]:
    """The window builds its StoreService from the environment: point it at this helm."""
    before = os.environ.get("STOREDESK_HELM")
    os.environ["STOREDESK_HELM"] = str(helm)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("STOREDESK_HELM", None)
        else:
            os.environ["STOREDESK_HELM"] = before


@contextmanager
def window_on(kubeconfig: Path, context: str, work: Path) -> Iterator[MainWindow]:
    """The app's main window on that cluster, shown and connected; closed afterwards."""
    from storedesk.ui.main_window import MainWindow
    from storedesk.ui.session import Connection
    from storedesk.ui.ui_settings import UiSettings

    application()
    settings = UiSettings(QSettings(str(work / "ui.ini"), QSettings.Format.IniFormat))
    window = MainWindow(
        kubeconfig=str(kubeconfig), context=context, settings=settings, data_dir=work / "data"
    )
    window.show()
    QTimer.singleShot(0, window.start)  # as storedesk.ui.app.main does
    try:
        wait_for(
            lambda: window.session.state.connection == Connection.REACHABLE,
            CONNECT_TIMEOUT,
            "the window to connect",
        )
        yield window
    finally:
        window.hide()
        window.runner.wait(30_000)
        window.session.shutdown()
        window.deleteLater()
        pump(50)


def phase_of(window: MainWindow, name: str) -> Phase | None:
    """The phase the window's table model shows for a store."""
    record = window.model.record(name)
    return None if record is None else record.status.phase


def all_rows_ready(window: MainWindow, count: int) -> bool:
    """Whether the table shows `count` stores, all Ready."""
    names = window.model.names()
    return len(names) == count and all(phase_of(window, n) == Phase.READY for n in names)


class Heartbeat(QObject):
    """A 10 ms precise timer on the GUI thread: how late each beat fires is a stall."""

    def __init__(self, interval_ms: int = 10) -> None:
        super().__init__()
        self.interval_ms = interval_ms
        self.lateness_ms: list[float] = []
        self._last = 0.0
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._beat)

    def _beat(self) -> None:
        now = time.perf_counter()
        self.lateness_ms.append(max(0.0, (now - self._last) * 1000 - self.interval_ms))
        self._last = now

    def start(self) -> None:
        """Start beating (and forget earlier beats)."""
        self.lateness_ms = []
        self._last = time.perf_counter()
        self._timer.start(self.interval_ms)

    def stop(self) -> None:
        """Stop beating."""
        self._timer.stop()

    def worst(self) -> float:
        """The longest lateness seen, in ms."""
        return max(self.lateness_ms, default=0.0)
