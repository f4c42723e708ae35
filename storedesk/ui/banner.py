"""A message strip above the table: a problem (cluster unreachable, no kubeconfig) or a notice,
with the buttons that help."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import Enum

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QStyle, QWidget


class Level(Enum):
    """How serious the message is (decides the icon)."""

    INFO = QStyle.StandardPixmap.SP_MessageBoxInformation
    ERROR = QStyle.StandardPixmap.SP_MessageBoxCritical


Button = tuple[str, Callable[[], None]]


class Banner(QFrame):
    """Icon, message and buttons; hidden when there is nothing to say."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.setBackgroundRole(QPalette.ColorRole.AlternateBase)
        self._icon = QLabel(self)
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(10, 6, 10, 6)
        self._layout.addWidget(self._icon, 0, Qt.AlignmentFlag.AlignTop)
        self._layout.addWidget(self.message, 1)
        self.buttons: list[QPushButton] = []
        self.hide()

    def show_message(self, level: Level, text: str, buttons: Sequence[Button] = ()) -> None:
        """Show `text` (rich text allowed) with `buttons`."""
        size = self.style().pixelMetric(QStyle.PixelMetric.PM_SmallIconSize)
        self._icon.setPixmap(self.style().standardIcon(level.value).pixmap(size, size))
        self.message.setText(text)
        for button in self.buttons:
            button.deleteLater()
        self.buttons = []
        for label, callback in buttons:
            button = QPushButton(label, self)
            button.clicked.connect(callback)
            self._layout.addWidget(button, 0, Qt.AlignmentFlag.AlignVCenter)
            self.buttons.append(button)
        self.show()

    def button(self, label: str) -> QPushButton | None:
        """The button with this label (for tests and keyboard focus)."""
        return next((b for b in self.buttons if b.text() == label), None)
