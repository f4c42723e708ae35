"""The built-in demo cluster: the simulator in a child process, its state kept in the data dir
so the demo's stores survive a restart of the app."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storedesk.sim.process import SimulatorProcess

DEMO_READY_DELAY = 2.0  # seconds before a pod turns Ready: slow enough to watch it happen


def demo_files(data_dir: Path) -> tuple[Path, Path]:
    """(kubeconfig, state file) of the demo cluster."""
    folder = data_dir / "demo"
    return folder / "kubeconfig", folder / "state.json"


def start_demo(data_dir: Path, ready_delay: float = DEMO_READY_DELAY) -> SimulatorProcess:
    """Start the simulator and wait until it serves (blocking: call it on a worker)."""
    from storedesk.sim.process import SimulatorProcess

    kubeconfig, state = demo_files(data_dir)
    log = kubeconfig.with_name("simulator.log")
    demo = SimulatorProcess(
        kubeconfig, log, ready_delay=ready_delay, state_file=state, background=True
    )
    return demo.start()
