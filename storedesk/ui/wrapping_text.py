"""Read-only rich text that wraps anywhere a line must break, and is exactly as tall as its
text at the width it gets.

A QLabel wraps at word boundaries only: an image reference, a URL or a digest longer than
the pane sets the label's minimum width, and the whole pane widens past its window. This
wraps such a token mid-word instead, and what the user selects and copies is the text as
it is (no break characters slipped in).
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QPalette, QResizeEvent, QTextOption
from PySide6.QtWidgets import QFrame, QSizePolicy, QTextBrowser, QWidget


class WrappingText(QTextBrowser):
    """Like a word-wrapped, selectable QLabel, but never wider than the room it gets."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._html = ""
        self._heights: dict[int, int] = {}  # width -> height, for the text shown
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setReadOnly(True)
        self.setOpenLinks(False)
        self.setWordWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # No background of its own, like a label's (through the palette: asking for the
        # viewport costs a noticeable moment the first time, at start-up).
        palette = self.palette()
        palette.setColor(QPalette.ColorRole.Base, QColor(Qt.GlobalColor.transparent))
        self.setPalette(palette)
        self.document().setDocumentMargin(0)
        policy = QSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)

    def setText(self, html: str) -> None:
        """Show `html` (rich text, or plain text without markup)."""
        if html == self._html:
            return
        self._html = html
        self._heights = {}
        self.setHtml(html)
        self.updateGeometry()

    def text(self) -> str:
        """The rich text shown, as given."""
        return self._html

    def hasHeightForWidth(self) -> bool:
        """Its height follows its width."""
        return True

    def heightForWidth(self, width: int) -> int:
        """The height the text needs at `width`."""
        if width not in self._heights:
            document = self.document().clone()
            document.setTextWidth(max(1, width))
            height = int(document.size().height() + 0.999)
            self._heights[width] = max(self.fontMetrics().height(), height)
        return self._heights[width]

    def sizeHint(self) -> QSize:
        """As wide as a short paragraph; as tall as the text at the current width."""
        width = max(self.width(), 200)
        return QSize(width, self.heightForWidth(width))

    def minimumSizeHint(self) -> QSize:
        """Narrow: the text wraps anywhere."""
        return QSize(40, self.heightForWidth(max(self.width(), 40)))

    def resizeEvent(self, event: QResizeEvent) -> None:
        """A new width: a new height."""
        super().resizeEvent(event)
        if event.oldSize().width() != event.size().width():
            self.updateGeometry()
