"""Closing the window while operations run: ask, then quit when they end or stop them.

The question stays true while it is open: its list of running operations follows them,
and once none runs it goes away and the window closes, as the user asked.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from PySide6.QtWidgets import QAbstractButton, QMessageBox, QWidget

from storedesk.ui.banner import Banner, Level


class CloseGuard:
    """Decides whether the window may close now, and what to do when it may not."""

    def __init__(
        self,
        window: QWidget,
        running: Callable[[], list[str]],
        cancel_all: Callable[[], None],
        notice: Banner,
        on_change: Callable[[], None],
    ) -> None:
        self.window = window
        self.running = running
        self.cancel_all = cancel_all
        self.notice = notice
        self.on_change = on_change  # the window's actions follow `quitting`
        self.quitting = False  # quit once the running operations end
        self.prompt: QMessageBox | None = None

    def may_close(self) -> bool:
        """True when nothing runs; else asks (once) and returns False."""
        running = self.running()
        if not running:
            return True
        if not self.quitting and self.prompt is None:
            self._ask(running)
        return False

    def operations_changed(self) -> None:
        """An operation started or ended: keep the question true, quit when it is time."""
        running = self.running()
        if self.prompt is not None:
            if running:
                self.prompt.setText(_question(running))
            else:  # nothing left to wait for: close, as the user asked
                prompt, self.prompt = self.prompt, None
                prompt.done(0)
                prompt.deleteLater()
                self.window.close()
                return
        if self.quitting:
            if running:
                self._show_waiting(running)
            else:
                self.window.close()

    def _ask(self, running: list[str]) -> None:
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Operations are running",
            _question(running),
            parent=self.window,
        )
        wait = box.addButton("Quit when finished", QMessageBox.ButtonRole.AcceptRole)
        stop = box.addButton("Stop them and quit", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton("Keep working", QMessageBox.ButtonRole.RejectRole)
        box.finished.connect(lambda _: self._answered(box, box.clickedButton(), wait, stop))
        self.prompt = box
        box.open()

    def _answered(
        self,
        box: QMessageBox,
        clicked: QAbstractButton | None,
        wait: QAbstractButton,
        stop: QAbstractButton,
    ) -> None:
        if box is not self.prompt:
            return  # closed by operations_changed: already handled
        self.prompt = None
        if clicked is stop:
            self.cancel_all()
        if clicked in (wait, stop):
            self.quitting = True
            self.on_change()
            self.operations_changed()

    def _show_waiting(self, running: list[str]) -> None:
        self.notice.show_message(
            Level.INFO,
            "Storedesk quits when the running operations finish: " + escape(", ".join(running)),
            [("Keep working", self._stay)],
        )

    def _stay(self) -> None:
        self.quitting = False
        self.notice.hide()
        self.on_change()


def _question(running: list[str]) -> str:
    return (
        f"Still running: {', '.join(running)}.\n\nStoredesk can quit as soon as they finish, "
        "or stop them now (helm is stopped; the store's Retry repairs it later), or you can "
        "keep working."
    )
