"""Where the engines' Helm charts are: inside the package when installed, else the repo."""

from __future__ import annotations

from pathlib import Path

from storedesk.domain.engines import Engine
from storedesk.errors import InvalidInput

_PACKAGE = Path(__file__).resolve().parent.parent


def charts_dir() -> Path:
    """The folder holding one chart per engine."""
    bundled = _PACKAGE / "charts"  # a wheel carries them here (pyproject force-include)
    return bundled if bundled.is_dir() else _PACKAGE.parent / "charts"


def chart_path(engine: Engine) -> Path:
    """The chart of `engine` (InvalidInput if this installation lacks it)."""
    path = charts_dir() / engine.chart
    if not (path / "Chart.yaml").is_file():
        raise InvalidInput(
            f"the {engine.display_name} chart is missing from {path.parent}",
            hint="reinstall Storedesk",
        )
    return path
