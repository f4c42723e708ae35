"""Copying secrets: marked as secret for clipboard managers and cleared after a while."""

from __future__ import annotations

from PySide6.QtCore import QMimeData, QObject, QTimer, Signal
from PySide6.QtGui import QGuiApplication

CLEAR_AFTER_MS = 30_000
# KDE's Klipper and other clipboard managers skip entries carrying this hint.
_MANAGER_HINT = "x-kde-passwordManagerHint"


class SecretClipboard(QObject):
    """Puts a secret on the clipboard, then clears it unless something else replaced it."""

    cleared = Signal()

    def __init__(self, clear_after_ms: int = CLEAR_AFTER_MS, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.clear_after_ms = clear_after_ms
        self._copied: str | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.clear)

    def copy(self, secret: str) -> None:
        """Copy `secret`; it is cleared after clear_after_ms."""
        data = QMimeData()
        data.setText(secret)
        data.setData(_MANAGER_HINT, b"secret")
        QGuiApplication.clipboard().setMimeData(data)
        self._copied = secret
        self._timer.start(self.clear_after_ms)

    def clear(self) -> None:
        """Clear the clipboard now, if it still holds what we copied."""
        self._timer.stop()
        clipboard = QGuiApplication.clipboard()
        if self._copied is not None and clipboard.text() == self._copied:
            clipboard.clear()
            self.cleared.emit()
        self._copied = None


def copy_text(text: str) -> None:
    """Copy a non-secret text (a URL, a user name)."""
    QGuiApplication.clipboard().setText(text)
