"""Colours: the status colours (chosen to read on light and dark backgrounds) and the themes.

Widgets use palette roles only; the themes below fill the palette when the user picks
light or dark explicitly and the platform cannot switch its own scheme.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

# Same colours as resources/icons/status-*.svg.
STATUS_COLORS = {
    "Ready": "#2da44e",
    "Running": "#bf8700",
    "Provisioning": "#3d8bfd",
    "Failed": "#e5484d",
    "Deleting": "#d98c1c",
    "Unknown": "#8b949e",
}

_DARK = {
    QPalette.ColorRole.Window: "#1f2228",
    QPalette.ColorRole.WindowText: "#e6e8eb",
    QPalette.ColorRole.Base: "#16181d",
    QPalette.ColorRole.AlternateBase: "#23262d",
    QPalette.ColorRole.ToolTipBase: "#2b2f36",
    QPalette.ColorRole.ToolTipText: "#e6e8eb",
    QPalette.ColorRole.PlaceholderText: "#8b949e",
    QPalette.ColorRole.Text: "#e6e8eb",
    QPalette.ColorRole.Button: "#2b2f36",
    QPalette.ColorRole.ButtonText: "#e6e8eb",
    QPalette.ColorRole.BrightText: "#ff6b6b",
    QPalette.ColorRole.Light: "#3a3f47",
    QPalette.ColorRole.Midlight: "#30343b",
    QPalette.ColorRole.Mid: "#25282e",
    QPalette.ColorRole.Dark: "#101216",
    QPalette.ColorRole.Shadow: "#000000",
    QPalette.ColorRole.Highlight: "#2f6fdb",
    QPalette.ColorRole.HighlightedText: "#ffffff",
    QPalette.ColorRole.Link: "#6ea8fe",
    QPalette.ColorRole.LinkVisited: "#b197fc",
}
_DARK_DISABLED = {
    QPalette.ColorRole.WindowText: "#6b7280",
    QPalette.ColorRole.Text: "#6b7280",
    QPalette.ColorRole.ButtonText: "#6b7280",
}


def status_color(phase: str) -> QColor:
    """The colour of a phase ('Ready', 'Failed', ...)."""
    return QColor(STATUS_COLORS.get(phase, STATUS_COLORS["Unknown"]))


def dark_palette() -> QPalette:
    """A dark palette for platforms that cannot switch their own colour scheme."""
    palette = QPalette()
    for role, colour in _DARK.items():
        palette.setColor(role, QColor(colour))
    for role, colour in _DARK_DISABLED.items():
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor(colour))
    return palette


# Links on a dark and on a light background, when the palette's own do not read.
_LINK_ON_DARK = ("#6ea8fe", "#b197fc")
_LINK_ON_LIGHT = ("#0b57d0", "#6f42c1")
MIN_CONTRAST = 4.5  # WCAG AA for body text


def luminance(colour: QColor) -> float:
    """The relative luminance of `colour` (WCAG 2)."""

    def channel(value: float) -> float:
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    return (
        0.2126 * channel(colour.redF())
        + 0.7152 * channel(colour.greenF())
        + 0.0722 * channel(colour.blueF())
    )


def contrast(a: QColor, b: QColor) -> float:
    """The contrast ratio of two colours (1 to 21)."""
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def readable_links(palette: QPalette) -> QPalette | None:
    """`palette` with links that read on its backgrounds, or None when they already do.
    A dark desktop theme often leaves Qt's default dark blue links on near-black."""
    fixed = QPalette(palette)
    changed = False
    for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
        base = palette.color(group, QPalette.ColorRole.Base)
        window = palette.color(group, QPalette.ColorRole.Window)
        dark = luminance(window) < 0.2
        for role, colour in zip(
            (QPalette.ColorRole.Link, QPalette.ColorRole.LinkVisited),
            _LINK_ON_DARK if dark else _LINK_ON_LIGHT,
            strict=True,
        ):
            link = palette.color(group, role)
            if min(contrast(link, base), contrast(link, window)) < MIN_CONTRAST:
                fixed.setColor(group, role, QColor(colour))
                changed = True
    return fixed if changed else None


def apply_theme(theme: str) -> None:
    """'system' follows the desktop; 'light' and 'dark' force a scheme. Either way links
    are made to read on the background."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    schemes = {"light": Qt.ColorScheme.Light, "dark": Qt.ColorScheme.Dark}
    app.styleHints().setColorScheme(schemes.get(theme, Qt.ColorScheme.Unknown))
    if theme == "dark" and app.styleHints().colorScheme() != Qt.ColorScheme.Dark:
        app.setPalette(dark_palette())
    elif theme == "light" and app.styleHints().colorScheme() == Qt.ColorScheme.Dark:
        app.setPalette(app.style().standardPalette())
    else:
        app.setPalette(QPalette())
    fixed = readable_links(app.palette())
    if fixed is not None:
        app.setPalette(fixed)
