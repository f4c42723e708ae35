"""`python -m benchmarks.gui_launch [--rows N] app|bare [-- APP ARGS]`: start a window and
report on stdout when it is first painted, and (with --rows) the process's RSS once the
store table lists N stores; then quit.

`app` runs Storedesk's own entry point (`storedesk.cli.main`, as `storedesk` with no
command does); `bare` shows an empty PySide6 QMainWindow, the baseline. Only an
application-wide event filter is added, to see the first paint: the app runs unchanged.
"""

from __future__ import annotations

import argparse
import sys
import time

import psutil
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow

POLL_MS = 50
SETTLE_MS = 1000  # after the rows appear: the snapshot is applied and painted


class Observer(QObject):
    """Prints `shown <unix time>` at the main window's first paint; then, with rows, waits
    for the table to list them and prints `listed <rows> <rss bytes>`."""

    def __init__(self, app: QApplication, rows: int | None) -> None:
        super().__init__()
        self.app = app
        self.rows = rows
        self.window: QMainWindow | None = None
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._poll)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Catch the first paint of a main window."""
        if event.type() == QEvent.Type.Paint and isinstance(watched, QMainWindow):
            print(f"shown {time.time():.6f}", flush=True)
            self.window = watched
            self.app.removeEventFilter(self)
            if self.rows is None:
                QTimer.singleShot(0, self.app.quit)
            else:
                self._timer.start(POLL_MS)
        return False

    def _poll(self) -> None:
        model = getattr(self.window, "model", None)
        session = getattr(self.window, "session", None)
        connected = session is not None and session.state.connection.value == "reachable"
        if connected and model is not None and model.rowCount() >= (self.rows or 0):
            self._timer.stop()
            QTimer.singleShot(SETTLE_MS, self._report)

    def _report(self) -> None:
        rows = self.window.model.rowCount() if self.window is not None else 0
        print(f"listed {rows} {psutil.Process().memory_info().rss}", flush=True)
        self.app.quit()


def main(argv: list[str] | None = None) -> int:
    """Start the chosen window under the observer."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.gui_launch")
    parser.add_argument("mode", choices=("app", "bare"))
    parser.add_argument("--rows", type=int, default=None)
    parser.add_argument("app_args", nargs="*")
    args = parser.parse_args(argv)
    # The app creates the QApplication only when there is none: this one is the same object
    # it would make, made a moment earlier so the filter can be installed.
    app = QApplication([sys.argv[0]])
    observer = Observer(app, args.rows)
    app.installEventFilter(observer)
    if args.mode == "bare":
        window = QMainWindow()
        window.resize(1280, 760)
        window.show()
        return app.exec()
    from storedesk.cli import main as storedesk_main

    return storedesk_main(args.app_args)


if __name__ == "__main__":
    sys.exit(main())
