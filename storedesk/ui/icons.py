"""Icons shipped in `resources/`: the application icon and one icon per store phase."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from PySide6.QtGui import QIcon

from storedesk.domain.models import Phase

_APP_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def resources_dir() -> Path:
    """The resources folder: inside the package when installed, at the repository root in a
    checkout."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "resources", package.parent / "resources"):
        if (candidate / "storedesk.svg").exists():
            return candidate
    return package.parent / "resources"


@cache
def app_icon() -> QIcon:
    """The window and launcher icon: the SVG for any size, PNGs for crisp small sizes."""
    folder = resources_dir()
    icon = QIcon(str(folder / "storedesk.svg"))
    for size in _APP_SIZES:
        png = folder / f"storedesk-{size}.png"
        if png.exists():
            icon.addFile(str(png))
    return icon


@cache
def phase_icon(phase: Phase) -> QIcon:
    """The status column's icon: a distinct shape per phase, not colour alone."""
    return QIcon(str(resources_dir() / "icons" / f"status-{phase.value.lower()}.svg"))


@cache
def action_icon(name: str) -> QIcon:
    """A toolbar icon (resources/icons/action-<name>.svg): the same on every desktop."""
    return QIcon(str(resources_dir() / "icons" / f"action-{name}.svg"))
