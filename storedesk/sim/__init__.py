"""A local Kubernetes API simulator that real helm, kubectl and client libraries drive.

See `storedesk.sim.simulator.Simulator` for the Python API and `storedesk sim --help`
for the command line. Imported lazily: `storedesk --help` must not load a whole API server.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from storedesk.sim.simulator import CONTEXT, Simulator

__all__ = ["CONTEXT", "Simulator"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from storedesk.sim import simulator

        return getattr(simulator, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
