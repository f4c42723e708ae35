"""The simulator in a process of its own, as the demo cluster runs it, so the client side's
CPU is measured apart from the server's, and the server's own CPU and memory can be read."""

from __future__ import annotations

from pathlib import Path

import psutil

from storedesk.provisioning.demo import SimulatorProcess


class SimProcess(SimulatorProcess):
    """`python -m storedesk.sim` for the `with` block, its kubeconfig and log in `folder`."""

    def __init__(self, folder: Path, ready_delay: float) -> None:
        super().__init__(folder / "kubeconfig", folder / "sim.log", ready_delay=ready_delay)
        self.process: psutil.Process | None = None

    def start(self) -> SimProcess:
        """Start the simulator on a fresh kubeconfig."""
        self.kubeconfig.unlink(missing_ok=True)
        super().start()
        self.process = psutil.Process(self.pid)
        return self

    def cpu_seconds(self) -> float:
        """User + system CPU the simulator has used so far."""
        assert self.process is not None
        times = self.process.cpu_times()
        return times.user + times.system

    def rss(self) -> int:
        """The simulator's resident memory, in bytes."""
        assert self.process is not None
        return self.process.memory_info().rss
