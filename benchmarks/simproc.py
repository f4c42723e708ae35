"""The simulator in a process of its own (`python -m storedesk.sim`), so the client side's
CPU is measured apart from the server's, and the server's own CPU and memory can be read."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

import psutil

from storedesk.sim import CONTEXT

START_TIMEOUT = 30.0


class SimProcess:
    """`python -m storedesk.sim --kubeconfig ... --ready-delay ...` for the `with` block."""

    def __init__(self, folder: Path, ready_delay: float) -> None:
        self.kubeconfig = folder / "kubeconfig"
        self.context = CONTEXT
        self.ready_delay = ready_delay
        self._log = folder / "sim.log"
        self._popen: subprocess.Popen[bytes] | None = None
        self.process: psutil.Process | None = None
        self.url = ""

    def __enter__(self) -> SimProcess:
        self.kubeconfig.unlink(missing_ok=True)
        with self._log.open("wb") as log:
            self._popen = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "storedesk.sim",
                    "--kubeconfig",
                    str(self.kubeconfig),
                    "--ready-delay",
                    str(self.ready_delay),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        self.process = psutil.Process(self._popen.pid)
        deadline = time.monotonic() + START_TIMEOUT
        while "serving http" not in (text := self._log.read_text()):
            if self._popen.poll() is not None or time.monotonic() > deadline:
                self.__exit__(None, None, None)
                raise RuntimeError(f"the simulator did not start:\n{text}")
            time.sleep(0.05)
        self.url = text.split("serving ", 1)[1].split()[0]
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

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._popen is None or self._popen.poll() is not None:
            return
        self._popen.send_signal(signal.SIGTERM)
        try:
            self._popen.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self._popen.kill()
            self._popen.wait()
