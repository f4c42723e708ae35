"""Keeping a window on its screen: a default or remembered size never exceeds the room the
screen has (at 1.5x scale a 1280x760 window is 1920x1140 device pixels)."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, QSize
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

DEFAULT_SIZE = QSize(1280, 760)
# Room left for the window manager's frame before the window is shown (title bar, borders);
# once shown, the real frame is measured.
FRAME_GUESS = QSize(16, 40)


def available(widget: QWidget) -> QRect:
    """The available geometry of the screen `widget` is on (or the primary screen)."""
    screen = widget.screen() or QGuiApplication.primaryScreen()
    return screen.availableGeometry()


def frame_extra(widget: QWidget) -> QSize:
    """How much the frame adds to the window's size (a guess until it is shown)."""
    if widget.isVisible():
        frame, inner = widget.frameGeometry().size(), widget.geometry().size()
        return QSize(max(0, frame.width() - inner.width()), max(0, frame.height() - inner.height()))
    return FRAME_GUESS


def fit_to_screen(widget: QWidget, wanted: QSize | None = None) -> None:
    """Resize `widget` to `wanted` (default: its size) or less, so that it and its frame
    fit the screen's available area, and move it inside that area."""
    room = available(widget)
    extra = frame_extra(widget)
    size = wanted or widget.size()
    width = min(size.width(), room.width() - extra.width())
    height = min(size.height(), room.height() - extra.height())
    minimum = widget.minimumSize()
    width, height = max(width, minimum.width()), max(height, minimum.height())
    if (width, height) != (widget.width(), widget.height()):
        widget.resize(width, height)
    frame = widget.frameGeometry() if widget.isVisible() else QRect(widget.pos(), size)
    x = min(max(frame.x(), room.left()), max(room.left(), room.right() + 1 - width - extra.width()))
    y = min(
        max(frame.y(), room.top()), max(room.top(), room.bottom() + 1 - height - extra.height())
    )
    if QPoint(x, y) != frame.topLeft():
        widget.move(x, y)


def fits(widget: QWidget) -> bool:
    """Whether the window and its frame lie inside the screen's available area."""
    return available(widget).contains(widget.frameGeometry())


def needed_height(widget: QWidget) -> int:
    """The height `widget`'s layout needs at its width to show all it holds."""
    layout = widget.layout()
    if layout is None:
        return widget.sizeHint().height()
    layout.activate()
    return max(layout.totalHeightForWidth(widget.width()), layout.totalMinimumSize().height())


def grow_to_fit(widget: QWidget) -> None:
    """Grow `widget` (never shrink it under the user) so nothing it says is cut."""
    needed = needed_height(widget)
    if widget.height() < needed:
        widget.resize(widget.width(), needed)
