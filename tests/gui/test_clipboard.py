"""Secrets on the clipboard are cleared after a while, unless the user copied something else."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QGuiApplication

from storedesk.ui.clipboard import SecretClipboard

pytestmark = pytest.mark.gui


def test_a_copied_secret_is_cleared_after_the_delay(qtbot) -> None:
    clipboard = SecretClipboard(clear_after_ms=100)
    clipboard.copy("s3cret-Passw0rd")
    assert QGuiApplication.clipboard().text() == "s3cret-Passw0rd"
    assert QGuiApplication.clipboard().mimeData().hasFormat("x-kde-passwordManagerHint")
    with qtbot.waitSignal(clipboard.cleared, timeout=2000):
        pass
    assert QGuiApplication.clipboard().text() == ""


def test_what_the_user_copied_since_is_left_alone(qtbot) -> None:
    clipboard = SecretClipboard(clear_after_ms=100)
    clipboard.copy("s3cret-Passw0rd")
    QGuiApplication.clipboard().setText("a note of my own")
    qtbot.wait(300)
    assert QGuiApplication.clipboard().text() == "a note of my own"
