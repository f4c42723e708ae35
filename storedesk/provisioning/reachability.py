"""Whether each store's shop answers from this machine, asked off the caller's thread.

A store whose pods and setup are done is probed: its storefront through the path a shopper
takes (the ingress controller's address, or Storedesk's port-forward for a forwarded store),
looking for the engine's marker. Probes run on a small pool, at most one per store at a
time, again after OK_AGAIN when the shop answered and RETRY_AFTER when it did not, so a
slow or dead storefront never delays the status of the others.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from storedesk.cluster.portforward import open_stream
from storedesk.cluster.probe import probe
from storedesk.domain.models import PodFact, StoreRecord, store_namespace
from storedesk.domain.reach import ReachFact, Seen
from storedesk.errors import InvalidInput, StoredeskError
from storedesk.provisioning.engines import engines
from storedesk.provisioning.inventory import wants_probe

if TYPE_CHECKING:
    from storedesk.provisioning.service import StoreService

OK_AGAIN = 60.0  # seconds before a store that answered is asked again
RETRY_AFTER = 5.0  # seconds before a store that did not answer is asked again
PROBES_AT_ONCE = 4


Target = tuple[StoreRecord, Sequence[PodFact]]  # a store and the pods the cluster lists


class Reachability:
    """The latest probe of each store's storefront, refreshed in the background."""

    def __init__(self, service: StoreService, on_change: Callable[[], None] | None = None) -> None:
        self.service = service
        self.on_change = on_change
        self._facts: dict[str, tuple[float, ReachFact]] = {}
        self._probing: set[str] = set()
        self._lock = threading.Lock()
        self._settled = threading.Condition(self._lock)  # a probe ended
        self._pool = ThreadPoolExecutor(PROBES_AT_ONCE, thread_name_prefix="reach")

    def fact(self, record: StoreRecord, pods: Sequence[PodFact] = ()) -> ReachFact | None:
        """The latest probe of `record`'s storefront (None: not asked yet); asks again in
        the background when it is due. Never blocks."""
        with self._lock:
            known = self._facts.get(record.name)
            fact = known[1] if known is not None and known[1].url == record.url else None
            due = known is None or fact is None or _stale(known[0], fact)
            if due and record.name not in self._probing:
                self._probing.add(record.name)
                self._pool.submit(self._run, record, tuple(pods))
        return fact

    def known(self, record: StoreRecord, pods: Sequence[PodFact] = ()) -> ReachFact | None:
        """The latest probe of `record`'s storefront, if it is of its current URL."""
        with self._lock:
            known = self._facts.get(record.name)
        return known[1] if known is not None and known[1].url == record.url else None

    def probe_now(self, targets: Iterable[Target]) -> None:
        """Ask every store that wants it, all at once, and wait (bounded by the probes'
        own deadlines): how the CLI sees reachability."""
        # A store probed moments ago (a wait that just saw it answer) is not asked again.
        wanted = [(r, pods) for r, pods in targets if wants_probe(r) and self._due(r)]
        found = self._pool.map(lambda target: self._probe(*target), wanted)
        for (record, _), fact in zip(wanted, found, strict=True):
            with self._lock:
                self._facts[record.name] = (time.monotonic(), fact)

    def _due(self, record: StoreRecord) -> bool:
        with self._lock:
            known = self._facts.get(record.name)
        return known is None or known[1].url != record.url or _stale(known[0], known[1])

    def close(self) -> None:
        """Stop probing (a running probe ends by its own deadline)."""
        self._pool.shutdown(wait=False, cancel_futures=True)

    def pause(self, name: str, seconds: float) -> None:
        """Sleep `seconds`, or less: until a probe of store `name` running now ends (a
        wait for Ready learns the answer the moment it is known, not a poll later)."""
        with self._settled:
            if name in self._probing:
                self._settled.wait_for(lambda: name not in self._probing, seconds)
                return
        time.sleep(seconds)

    def _run(self, record: StoreRecord, pods: Sequence[PodFact]) -> None:
        found: ReachFact | None = None
        before = None
        try:
            found = self._probe(record, pods)
        finally:
            with self._settled:
                # The fact is stored before the store stops counting as probed: whoever
                # wakes on the end of the probe finds its answer.
                if found is not None:
                    before = self._facts.get(record.name)
                    self._facts[record.name] = (time.monotonic(), found)
                self._probing.discard(record.name)
                self._settled.notify_all()
        if self.on_change is not None and (before is None or before[1].seen != found.seen):
            self.on_change()

    def _probe(self, record: StoreRecord, pods: Sequence[PodFact]) -> ReachFact:
        url = record.url or ""
        try:
            engine = engines().get(record.engine)
        except InvalidInput:
            return ReachFact(url, Seen.OTHER_PAGE, f"engine {record.engine} is unknown here")
        if not record.forwarded:
            return probe(url, engine.storefront_marker)
        # The forward's own path, to a Ready pod the cluster already listed: no lookup
        # per store beyond the port-forward itself.
        pod = next(
            (
                p.name
                for p in pods
                if p.ready and not p.deleting and p.component == engine.forward_component
            ),
            None,
        )
        if pod is None:
            return ReachFact(url, Seen.FORWARD, "no pod of the store's storefront is ready")
        try:
            stream = open_stream(
                self.service.kube, store_namespace(record.name), pod, engine.forward_container_port
            )
        except StoredeskError as e:
            return ReachFact(url, Seen.FORWARD, e.message)
        try:
            return probe(url, engine.storefront_marker, connect=lambda: stream.socket)
        finally:
            stream.close()


def _stale(when: float, fact: ReachFact) -> bool:
    return time.monotonic() - when > (OK_AGAIN if fact.ok else RETRY_AFTER)
