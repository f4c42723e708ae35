"""The status bar's message: one line, elided to its room, never over its neighbours.

QStatusBar.showMessage paints a long text straight into the permanent widgets beside it;
this label takes only the room the layout gives it, elides the rest ("…") and keeps the
whole text in its tooltip. A problem (a failure of background work) is cleared once the
cluster answers again, so no stale error outlives the outage that caused it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget


class StatusLine(QLabel):
    """A temporary message, elided; cleared after its time or when it no longer holds."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statusLine")
        # Ignored: the text never widens the status bar or pushes the labels beside it.
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(40)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setContentsMargins(4, 0, 12, 0)
        self._full = ""
        self.problem = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.clear_message)

    def show_message(self, text: str, timeout_ms: int = 10_000, *, problem: bool = False) -> None:
        """Show `text` for `timeout_ms` (0: until replaced); a problem is also cleared by
        clear_problem()."""
        self._full = " ".join(text.split())
        self.problem = problem
        self.setToolTip(self._full if self._full else "")
        self._elide()
        if timeout_ms > 0:
            self._timer.start(timeout_ms)
        else:
            self._timer.stop()

    def clear_message(self) -> None:
        """Show nothing."""
        self._timer.stop()
        self._full, self.problem = "", False
        self.setToolTip("")
        self.setText("")

    def clear_problem(self) -> None:
        """Clear the message if it reports a problem (the cluster answers again)."""
        if self.problem:
            self.clear_message()

    def message(self) -> str:
        """The whole message shown (elided or not)."""
        return self._full

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Elide again for the new width."""
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        room = max(0, self.contentsRect().width())
        self.setText(self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight, room))
