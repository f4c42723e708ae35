"""A local Kubernetes API simulator that real helm, kubectl and client libraries drive.

See `storedesk.sim.simulator.Simulator` for the Python API and `storedesk sim --help`
for the command line. Imported lazily: `storedesk --help` must not load a whole API server.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from storedesk.sim.simulator import Simulator

__all__ = ["CONTEXT", "Simulator"]

CONTEXT = "storedesk-sim"  # the kubeconfig context the simulator writes


def __getattr__(name: str) -> Any:
    if name == "Simulator":
        from storedesk.sim import simulator

        return getattr(simulator, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
