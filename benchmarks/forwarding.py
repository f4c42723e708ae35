"""What the port-forward benchmarks share: a simulated store opened through Storedesk's
port-forward, and the same simulated responder reached directly (the simulator's own
ingress controller on a local port: no Kubernetes API in the path) as the baseline."""

from __future__ import annotations

import http.client
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from benchmarks.harness import Context
from benchmarks.stores import service_for
from storedesk.provisioning.service import StoreService
from storedesk.sim import Simulator

STORE = "bench"


@dataclass
class Bed:
    """A store served both ways."""

    sim: Simulator
    service: StoreService
    host: str  # the store's host name

    @property
    def direct_port(self) -> int:
        """The simulator's ingress controller: the responder without the API in between."""
        assert self.sim.ingress is not None
        return self.sim.ingress.port


@contextmanager
def bed(ctx: Context) -> Iterator[Bed]:
    """A simulator (with its ingress controller) and one store opened through the forward."""
    with Simulator(ready_delay=0.2, ingress_port=0) as sim:
        service = service_for(sim.kubeconfig, sim.context, ctx.helm("4"), ctx.work / "data")
        service.create(STORE, options={"access": "port-forward"}, wait=True, use_keyring=False)
        try:
            yield Bed(sim, service, f"{STORE}.localhost")
        finally:
            service.forwards.stop_all()


def first_byte(port: int, host: str, since: float | None = None) -> float:
    """Seconds from `since` (default: sending the GET) to reading the answer's status line."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    path = "/"
    try:
        started = time.perf_counter() if since is None else since
        conn.request("GET", path, headers={"Host": host})
        response = conn.getresponse()  # the status line and headers: the first bytes
        took = time.perf_counter() - started
        response.read()
        if response.status != 200:
            raise RuntimeError(f"GET {path} answered {response.status}")
        return took
    finally:
        conn.close()


def throughput(port: int, host: str, size: int) -> float:
    """MB/s of one GET of `size` bytes."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        started = time.perf_counter()
        conn.request("GET", f"/.storedesk-sim/bytes/{size}", headers={"Host": host})
        response = conn.getresponse()
        received = 0
        while chunk := response.read(256 * 1024):
            received += len(chunk)
        took = time.perf_counter() - started
        if response.status != 200 or received != size:
            raise RuntimeError(f"got {received} of {size} bytes ({response.status})")
        return size / took / 1e6
    finally:
        conn.close()
