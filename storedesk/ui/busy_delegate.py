"""Draws a spinning arc in the name cell of rows with an operation running in this window."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, Qt, QTimer
from PySide6.QtGui import QPainter, QPalette, QPen
from PySide6.QtWidgets import QAbstractItemView, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from storedesk.ui.store_model import BUSY_ROLE, Column

_STEP = 30  # degrees per frame
_FRAME_MS = 80


class BusyDelegate(QStyledItemDelegate):
    """The normal cell, plus a spinner at its right edge while BUSY_ROLE is set."""

    def __init__(self, view: QAbstractItemView) -> None:
        super().__init__(view)
        self._view = view
        self._angle = 0
        self._timer = QTimer(self)
        self._timer.setInterval(_FRAME_MS)
        self._timer.timeout.connect(self._advance)

    def set_spinning(self, spinning: bool) -> None:
        """Animate only while some row is busy."""
        if spinning and not self._timer.isActive():
            self._timer.start()
        elif not spinning:
            self._timer.stop()

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        """Paint the cell, then the spinner if the row is busy."""
        super().paint(painter, option, index)
        if not index.data(BUSY_ROLE):
            return
        rect = option.rect
        size = min(rect.height() - 8, 14)
        box = QRect(rect.right() - size - 6, rect.center().y() - size // 2, size, size)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Highlight
        pen = QPen(option.palette.color(role), 2)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(pen)
        painter.drawArc(box, -self._angle * 16, 270 * 16)
        painter.restore()

    def _advance(self) -> None:
        self._angle = (self._angle + _STEP) % 360
        # Repaint only the spinning cells: a whole-viewport repaint asks the model for every
        # cell and role, which at 80 ms frames took the GUI thread from everything else.
        model = self._view.model()
        for row in range(model.rowCount()):
            index = model.index(row, Column.NAME)
            if index.data(BUSY_ROLE):
                self._view.update(index)
