"""Links read on every theme (issue 15 #6: dark blue links on near-black)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QLabel

from storedesk.ui.palette import MIN_CONTRAST, apply_theme, contrast, readable_links

pytestmark = pytest.mark.gui

ROLES = (QPalette.ColorRole.Link, QPalette.ColorRole.LinkVisited)


@pytest.fixture
def themed(qapp) -> Iterator[QApplication]:
    yield qapp
    apply_theme("system")


def dark_desktop_palette() -> QPalette:
    """A dark desktop theme that leaves Qt's default links (#0000ff, #ff00ff)."""
    palette = QPalette()
    for role, colour in (
        (QPalette.ColorRole.Window, "#1e1e1e"),
        (QPalette.ColorRole.Base, "#151515"),
        (QPalette.ColorRole.WindowText, "#eeeeee"),
        (QPalette.ColorRole.Text, "#eeeeee"),
        (QPalette.ColorRole.Link, "#0000ff"),
        (QPalette.ColorRole.LinkVisited, "#ff00ff"),
    ):
        palette.setColor(role, QColor(colour))
    return palette


def readable(palette: QPalette) -> bool:
    return all(
        contrast(palette.color(role), palette.color(back)) >= MIN_CONTRAST
        for role in ROLES
        for back in (QPalette.ColorRole.Window, QPalette.ColorRole.Base)
    )


def test_dark_blue_links_on_a_dark_desktop_are_made_readable() -> None:
    palette = dark_desktop_palette()
    assert not readable(palette)
    fixed = readable_links(palette)
    assert fixed is not None and readable(fixed)
    assert readable_links(fixed) is None  # nothing more to change


@pytest.mark.parametrize("theme", ["light", "dark", "system"])
def test_every_theme_has_readable_links(themed: QApplication, theme: str) -> None:
    apply_theme(theme)
    assert readable(themed.palette())
    label = QLabel('<a href="http://shop.localhost/">http://shop.localhost/</a>')
    assert (
        contrast(
            label.palette().color(QPalette.ColorRole.Link),
            label.palette().color(QPalette.ColorRole.Window),
        )
        >= MIN_CONTRAST
    )
