"""Live status of every store: one list per feed, then one watch per feed.

The monitor's loop runs on the caller's thread (the GUI gives it a QThread); each watch
streams on a thread of its own into one queue. Changes are batched (debounced) into
Snapshots handed to `on_update`. When the cluster stops answering, the last records stay
as they were and the snapshot says unreachable; the monitor retries with back-off and
relists when the cluster is back.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from storedesk.domain.models import OperationKind, Phase, StoreRecord, StoreStatus
from storedesk.domain.reach import awaits_probe
from storedesk.errors import StoredeskError
from storedesk.provisioning import inventory
from storedesk.provisioning.events import LogEntry, Outcome, now
from storedesk.provisioning.inventory import FEEDS, FactsCache, Feed, digest
from storedesk.provisioning.reachability import Reachability
from storedesk.provisioning.service import ClusterInfo, StoreService

log = logging.getLogger(__name__)

DEBOUNCE = 0.1  # seconds: changes arriving together become one snapshot
REDERIVE_EVERY = 2.0  # seconds: local operations and leases change without cluster events
WATCH_TIMEOUT = 240  # seconds the server keeps one watch open before we reopen it
MAX_BACKOFF = 10.0


@dataclass(frozen=True)
class Snapshot:
    """The stores as last seen, and whether the cluster answers now."""

    records: tuple[StoreRecord, ...]
    reachable: bool
    error: str | None
    cluster: ClusterInfo | None


def _describe(status: StoreStatus) -> str:
    return status.phase.value + (f" ({status.reason})" if status.reason else "")


def unknown(record: StoreRecord, error: str | None) -> StoreRecord:
    """A row as last seen, its status Unknown while the cluster does not answer."""
    if record.status.phase == Phase.UNKNOWN:
        return record
    status = StoreStatus(
        Phase.UNKNOWN,
        "cluster unreachable",
        f"last seen: {_describe(record.status)}; {error}",
        "check that the cluster is running and reachable; the status updates when it answers",
        record.status.pods_ready,
        record.status.pods_total,
    )
    return replace(record, status=status)


class _Restart(Exception):
    """A feed's watch cannot resume (410 Gone): list again."""


class StatusMonitor:
    """Follows every store of one cluster until stopped."""

    def __init__(self, service: StoreService, on_update: Callable[[Snapshot], None]) -> None:
        self.service = service
        self.on_update = on_update
        self._stop = threading.Event()
        self._queue: queue.Queue[tuple[str, Any, Any]] = queue.Queue()
        self._responses: list[Any] = []
        self._responses_lock = threading.Lock()
        self._generation: object = None  # the current connected period
        self._records: tuple[StoreRecord, ...] = ()
        self._settled: dict[str, StoreStatus] = {}  # each store's last status, not awaiting a probe
        self._cluster: ClusterInfo | None = None
        # A probe that sees a storefront change asks for the records to be derived again.
        self._reach = Reachability(service, on_change=self.rederive)

    def stop(self) -> None:
        """End run() promptly (open watch streams are cut)."""
        self._stop.set()
        self._reach.close()
        self._queue.put(("stop", None, None))
        self._cut_watches()

    def refresh(self) -> None:
        """List everything again (the user asked for it)."""
        self._queue.put(("refresh", None, None))

    def rederive(self) -> None:
        """Derive the records again from what is known (an operation of ours ended: its
        lock and log changed, the cluster's own changes arrive by watch)."""
        self._queue.put(("rederive", None, None))

    def run(self) -> None:
        """Follow the cluster until stop() (blocking)."""
        backoff = 1.0
        while not self._stop.is_set():
            generation = self._generation = object()
            try:
                self._follow(generation)
                backoff = 1.0
            except StoredeskError as e:
                self._cut_watches()
                self._publish(reachable=False, error=str(e))
                if self._wait(backoff):
                    return
                backoff = min(MAX_BACKOFF, backoff * 2)

    # -- one connected period ------------------------------------------------------------

    def _follow(self, generation: object) -> None:
        self._cluster = self.service.cluster_info()
        cache = inventory.collect(self.service.kube)
        self._drain()
        self._publish_facts(cache)
        self.service.reconcile(self._records)  # once per connected period, not per refresh
        for feed in FEEDS:
            self._start_watch(feed, cache.versions.get(feed.key, ""), generation)
        dirty, last_derive = False, time.monotonic()
        last_rederive = 0.0
        while not self._stop.is_set():
            timeout = DEBOUNCE if dirty else REDERIVE_EVERY
            try:
                kind, gen, payload = self._queue.get(timeout=timeout)
            except queue.Empty:
                self._publish_facts(cache)
                dirty, last_derive = False, time.monotonic()
                continue
            if kind == "stop":
                return
            if kind == "refresh":
                self._cut_watches()
                return  # run() lists and watches again
            if kind == "rederive":
                # A probe's answer shows at once; a burst of them (200 stores at start)
                # makes one snapshot per DEBOUNCE, not one per store.
                if time.monotonic() - last_rederive > DEBOUNCE:
                    self._publish_facts(cache)
                    dirty, last_derive = False, time.monotonic()
                    last_rederive = last_derive
                else:
                    dirty = True
                continue
            if gen is not generation:
                continue  # from a watch of an earlier period
            if kind == "error":
                raise payload
            if kind == "expired":
                self._relist(cache, payload, generation)
            else:
                feed_key, event = payload
                cache.apply(feed_key, event["type"], event["object"])
            dirty = True
            if time.monotonic() - last_derive > REDERIVE_EVERY:
                self._publish_facts(cache)
                dirty, last_derive = False, time.monotonic()

    def _relist(self, cache: FactsCache, feed: Feed, generation: object) -> None:
        items, version = self.service.kube.list(
            feed.resource,
            label_selector=feed.label_selector,
            field_selector=feed.field_selector,
            metadata_only=feed.metadata_only,
            each=digest(feed.key),
        )
        cache.replace(feed.key, items, version)
        self._start_watch(feed, version, generation)

    def _start_watch(self, feed: Feed, version: str, generation: object) -> None:
        threading.Thread(
            target=self._watch,
            args=(feed, version, generation),
            name=f"watch-{feed.key}",
            daemon=True,
        ).start()

    def _watch(self, feed: Feed, version: str, generation: object) -> None:
        """Stream one feed into the queue, reopening the watch when the server ends it."""
        try:
            # A watch of an earlier period (cut by a refresh or an error) must not reopen.
            while not self._stop.is_set() and generation is self._generation:
                for event in self.service.kube.watch(
                    feed.resource,
                    version,
                    label_selector=feed.label_selector,
                    field_selector=feed.field_selector,
                    metadata_only=feed.metadata_only,
                    timeout_seconds=WATCH_TIMEOUT,
                    stop=self._stop,
                    opened=self._opened,
                ):
                    obj = event.get("object") or {}
                    if event.get("type") == "ERROR":
                        if obj.get("code") == 410:
                            self._queue.put(("expired", generation, feed))
                            return
                        raise _Restart(obj.get("message", "watch error"))
                    version = obj.get("metadata", {}).get("resourceVersion", version)
                    if event.get("type") != "BOOKMARK":
                        self._queue.put(("event", generation, (feed.key, event)))
        except StoredeskError as e:
            if not self._stop.is_set():
                self._queue.put(("error", generation, e))
        except _Restart:
            self._queue.put(("expired", generation, feed))

    def _opened(self, response: Any) -> None:
        with self._responses_lock:
            self._responses = [r for r in self._responses if not r.closed]
            self._responses.append(response)

    def _cut_watches(self) -> None:
        with self._responses_lock:
            responses, self._responses = self._responses, []
        for response in responses:
            with contextlib.suppress(Exception):
                response.shutdown()

    # -- snapshots -----------------------------------------------------------------------

    def _publish_facts(self, cache: FactsCache) -> None:
        records = inventory.records(
            cache.facts(), self.service.operation, datetime.now(UTC), reach=self._reach.fact
        )
        self._log_changes(records)
        self._records = tuple(records)
        self._publish(reachable=True, error=None)

    def _log_changes(self, records: list[StoreRecord]) -> None:
        """Write each store's status changes to its event log (not the first look, and not
        the moment of asking its storefront: at start every Ready store is asked once)."""
        for record in records:
            new = record.status
            if awaits_probe(new):
                continue
            old = self._settled.get(record.name)
            self._settled[record.name] = new
            if old is None or (old.phase, old.reason) == (new.phase, new.reason):
                continue
            self.service.log.append(
                LogEntry(
                    now(),
                    record.name,
                    OperationKind.STATUS,
                    "status",
                    Outcome.INFO,
                    f"{_describe(old)} -> {_describe(new)}",
                )
            )
        for gone in self._settled.keys() - {r.name for r in records}:
            del self._settled[gone]

    def _publish(self, *, reachable: bool, error: str | None) -> None:
        records = self._records if reachable else tuple(unknown(r, error) for r in self._records)
        self.on_update(Snapshot(records, reachable, error, self._cluster))

    def _drain(self) -> None:
        """Forget what was queued before the list just taken (refresh requests included:
        that list answers them); a stop request stays."""
        stopping = False
        with contextlib.suppress(queue.Empty):
            while True:
                stopping |= self._queue.get_nowait()[0] == "stop"
        if stopping:
            self._queue.put(("stop", None, None))

    def _wait(self, seconds: float) -> bool:
        """Sleep (interruptible by stop/refresh); True when stopping."""
        try:
            kind, _, _ = self._queue.get(timeout=seconds)
        except queue.Empty:
            return self._stop.is_set()
        return kind == "stop" or self._stop.is_set()
