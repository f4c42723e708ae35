"""A local Kubernetes API simulator that real helm, kubectl and client libraries drive.

See `storedesk.sim.simulator.Simulator` for the Python API and `storedesk sim --help`
for the command line.
"""

from storedesk.sim.simulator import CONTEXT, Simulator

__all__ = ["CONTEXT", "Simulator"]
