"""The built-in demo cluster: the simulator as a child process (`python -m storedesk.sim`).

The window's demo cluster runs this way so that the simulator's work never takes the
interpreter lock from the GUI thread; its state is kept in the data dir so the demo's
stores survive a restart of the app, and its kubeconfig there lets the CLI reach it too.
The benchmarks run it this way to measure the client's and the server's CPU apart."""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

from storedesk.cluster.tools import in_background, stop_process
from storedesk.errors import ClusterUnreachable

DEMO_CONTEXT = "storedesk-sim"  # the context the simulator writes into its kubeconfig
DEMO_READY_DELAY = 2.0  # seconds before a pod turns Ready: slow enough to watch it happen
START_TIMEOUT = 30.0  # a large --state file takes a few seconds to load
STOP_TIMEOUT = 15.0  # SIGTERM makes it save its state first
_SERVING = " serving "  # the line `storedesk sim` prints once it answers requests


class SimulatorProcess:
    """One `python -m storedesk.sim` child; its output goes to `log_file`."""

    def __init__(
        self,
        kubeconfig: Path,
        log_file: Path,
        *,
        ready_delay: float = 3.0,
        state_file: Path | None = None,
        background: bool = False,
        ingress_port: int | None = None,
    ) -> None:
        self.kubeconfig = kubeconfig
        self.context = DEMO_CONTEXT
        self.log_file = log_file
        self.ready_delay = ready_delay
        self.state_file = state_file
        self.background = background
        self.ingress_port = ingress_port  # the demo acts as its own ingress controller there  # at a lower CPU priority than this process
        self.url = ""
        self._popen: subprocess.Popen[bytes] | None = None

    def argv(self) -> tuple[str, ...]:
        """The child's command line."""
        argv = [sys.executable, "-m", "storedesk.sim", "--kubeconfig", str(self.kubeconfig)]
        argv += ["--ready-delay", str(self.ready_delay), "--exit-when-stdin-closes"]
        if self.state_file is not None:
            argv += ["--state", str(self.state_file)]
        if self.ingress_port is not None:
            argv += ["--ingress-port", str(self.ingress_port)]
        return in_background(tuple(argv)) if self.background else tuple(argv)

    @property
    def pid(self) -> int:
        """The child's process id."""
        assert self._popen is not None, "not started"
        return self._popen.pid

    @property
    def running(self) -> bool:
        """Whether the child is alive."""
        return self._popen is not None and self._popen.poll() is None

    def start(self) -> SimulatorProcess:
        """Start the child and wait until it serves (blocking: not on a GUI thread)."""
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("wb") as log:
            # We keep the write end of its stdin and never write: when this process ends,
            # however it ends, the pipe closes and the child stops (saving its state)
            # instead of living on as an orphan holding a port.
            self._popen = subprocess.Popen(
                self.argv(), stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + START_TIMEOUT
        while _SERVING not in (text := self.log_file.read_text(errors="replace")):
            if self._popen.poll() is not None or time.monotonic() > deadline:
                self.stop()
                said = text.strip().splitlines()[-1:] or ["no output"]
                raise ClusterUnreachable(
                    f"the built-in simulator did not start: {said[0]}",
                    hint=f"its log is {self.log_file}",
                )
            time.sleep(0.05)
        self.url = text.split(_SERVING, 1)[1].split()[0]
        return self

    def stop(self) -> None:
        """Stop the child (it saves its state first); kill it if it does not stop in time."""
        if self._popen is not None:
            stop_process(self._popen, STOP_TIMEOUT)

    def __enter__(self) -> SimulatorProcess:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def demo_files(data_dir: Path) -> tuple[Path, Path]:
    """(kubeconfig, state file) of the demo cluster."""
    folder = data_dir / "demo"
    return folder / "kubeconfig", folder / "state.json"


def start_demo(data_dir: Path, ready_delay: float = DEMO_READY_DELAY) -> SimulatorProcess:
    """Start the demo cluster and wait until it serves (blocking: call it on a worker)."""
    from storedesk.provisioning.forwards import PortBook

    kubeconfig, state = demo_files(data_dir)
    log = kubeconfig.with_name("simulator.log")
    # The demo's stores open through its own ingress controller, on a port kept across
    # restarts: their URLs (and WordPress's) carry it.
    port = PortBook(data_dir).port_for(DEMO_CONTEXT, "(ingress controller)")
    demo = SimulatorProcess(
        kubeconfig,
        log,
        ready_delay=ready_delay,
        state_file=state,
        background=True,
        ingress_port=port,
    )
    return demo.start()


def sim_arguments(parser: argparse.ArgumentParser) -> None:
    """Add `storedesk sim`'s options (the simulator's own command line) to `parser`."""
    from storedesk.sim.cli import add_arguments

    add_arguments(parser)


def run_sim(args: argparse.Namespace) -> int:
    """Run the simulator in the foreground (`storedesk sim`)."""
    from storedesk.sim.cli import run

    return run(args)
