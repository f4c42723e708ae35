"""Watching the app from the side: when stores show Ready in the StatusMonitor's snapshots
(the feed the window's table model gets), and how many helm processes run at once."""

from __future__ import annotations

import threading
import time
from types import TracebackType

import psutil

from storedesk.domain.models import Phase
from storedesk.provisioning.monitor import Snapshot, StatusMonitor
from storedesk.provisioning.service import StoreService

FIRST_SNAPSHOT_TIMEOUT = 30.0


class Follower:
    """A StatusMonitor on its own thread, noting when each store first shows Ready/Failed."""

    def __init__(self, service: StoreService) -> None:
        self.ready_at: dict[str, float] = {}  # time.monotonic() of the first Ready snapshot
        # Stores a snapshot showed Failed before they were Ready: (when, reason)
        self.failed: dict[str, tuple[float, str]] = {}
        self.snapshots = 0
        self.last: Snapshot | None = None
        self._changed = threading.Condition()
        self.monitor = StatusMonitor(service, self._update)
        self._thread = threading.Thread(target=self.monitor.run, name="bench-monitor", daemon=True)

    def _update(self, snapshot: Snapshot) -> None:
        now = time.monotonic()
        with self._changed:
            self.snapshots += 1
            self.last = snapshot
            for record in snapshot.records:
                if record.status.phase == Phase.READY:
                    self.ready_at.setdefault(record.name, now)
                elif record.status.phase == Phase.FAILED and record.name not in self.ready_at:
                    self.failed.setdefault(
                        record.name, (now, f"{record.status.reason}: {record.status.detail}")
                    )
            self._changed.notify_all()

    def wait_ready(self, names: set[str], timeout: float) -> None:
        """Block until every store in `names` has shown Ready (RuntimeError on timeout).

        A store that shows Failed on the way is noted in `failed` but still waited for:
        whether it recovers is part of the result."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not names <= self.ready_at.keys():
                left = deadline - time.monotonic()
                if left <= 0:
                    missing = sorted(names - self.ready_at.keys())
                    raise RuntimeError(
                        f"not Ready after {timeout:.0f}s: {missing}; failed: {self.failed}"
                    )
                self._changed.wait(min(left, 1.0))

    def __enter__(self) -> Follower:
        self._thread.start()
        deadline = time.monotonic() + FIRST_SNAPSHOT_TIMEOUT
        with self._changed:
            while self.last is None or not self.last.reachable:
                if time.monotonic() > deadline:
                    raise RuntimeError("the status monitor sent no snapshot of a reachable cluster")
                self._changed.wait(0.5)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.monitor.stop()
        self._thread.join(timeout=10)


class ChildCounter:
    """Samples this process's descendants named `name` (e.g. helm): the peak running at once."""

    def __init__(self, name: str, every: float = 0.05) -> None:
        self.name = name
        self.every = every
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="bench-children", daemon=True)

    def _sample(self) -> None:
        me = psutil.Process()
        while not self._stop.wait(self.every):
            count = 0
            for child in me.children(recursive=True):
                try:
                    count += child.name() == self.name
                except psutil.Error:  # it ended between listing and asking
                    continue
            self.peak = max(self.peak, count)

    def __enter__(self) -> ChildCounter:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()
