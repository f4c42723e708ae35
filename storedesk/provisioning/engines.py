"""The engines this installation has: every chart folder with an `engine.yaml`.

The charts live inside the package when installed, else in the repository's `charts/`.
STOREDESK_ENGINES adds folders (separated like PATH) whose chart folders count too:
an engine is added by adding a folder, with no code change.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cache
from pathlib import Path

from storedesk.domain.engines import MANIFEST, Engine, Registry, parse_manifest
from storedesk.errors import InvalidInput

_PACKAGE = Path(__file__).resolve().parent.parent
ENGINES_ENV = "STOREDESK_ENGINES"


def charts_dir() -> Path:
    """The folder holding the engines shipped with Storedesk."""
    bundled = _PACKAGE / "charts"  # a wheel carries them here (pyproject force-include)
    return bundled if bundled.is_dir() else _PACKAGE.parent / "charts"


def engine_dirs(env: Mapping[str, str] = os.environ) -> tuple[Path, ...]:
    """Where engines are looked for; InvalidInput for a STOREDESK_ENGINES entry that is
    not a folder (checked before anything changes)."""
    extra = [Path(p) for p in env.get(ENGINES_ENV, "").split(os.pathsep) if p]
    for folder in extra:
        if not folder.is_absolute() or not folder.is_dir():
            raise InvalidInput(
                f"{ENGINES_ENV} names '{folder}', which is not an absolute path to a folder",
                hint=f"fix it, or unset {ENGINES_ENV}",
            )
    return (charts_dir(), *extra)


def load_engines(dirs: tuple[Path, ...]) -> Registry:
    """Every engine in `dirs` (a chart folder with a manifest); InvalidInput for a
    manifest that cannot be read."""
    # Imported here: the window imports this module before it shows, and reads the
    # manifests only later (on the thread that follows the cluster, or for New store).
    import yaml

    found: list[Engine] = []
    for folder in dirs:
        for manifest in sorted(folder.glob(f"*/{MANIFEST}")):
            try:
                data = yaml.safe_load(manifest.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
                raise InvalidInput(f"cannot read engine manifest {manifest}: {e}") from None
            found.append(parse_manifest(data, str(manifest.parent)))
    if not found:
        raise InvalidInput(
            f"no engine found in {', '.join(map(str, dirs))}", hint="reinstall Storedesk"
        )
    return Registry(found)


@cache
def _cached(dirs: tuple[Path, ...]) -> Registry:
    return load_engines(dirs)


def engines(env: Mapping[str, str] = os.environ) -> Registry:
    """The engines of this installation (read once per set of folders)."""
    return _cached(engine_dirs(env))


def chart_path(engine: Engine) -> Path:
    """The chart of `engine` (InvalidInput if the folder lost its Chart.yaml)."""
    path = Path(engine.chart)
    if not (path / "Chart.yaml").is_file():
        raise InvalidInput(
            f"the {engine.display_name} chart is missing from {path}", hint="reinstall Storedesk"
        )
    return path
