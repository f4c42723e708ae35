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


def apply_theme(theme: str) -> None:
    """'system' follows the desktop; 'light' and 'dark' force a scheme."""
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
