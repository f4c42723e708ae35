"""The controller manager: one thread, a deduplicating work queue and timers.

Store changes enqueue the keys they affect (the object, its owner, namespace-level
housekeeping); reconcilers read the current state and write through the Api, so their
writes meet the same admission as a client's. Reconcilers hold the store lock while they
run, which keeps each read-modify-write atomic with respect to API requests.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from storedesk.sim import resources as res
from storedesk.sim.api import Api, now_iso
from storedesk.sim.errors import ApiError
from storedesk.sim.faults import Faults
from storedesk.sim.resources import ResourceType
from storedesk.sim.store import Change, Obj

log = logging.getLogger("storedesk.sim.controllers")

Key = tuple[str, str, str]  # (what, namespace, name-or-uid)
_EVENT = res.lookup("", "v1", "events")
assert _EVENT is not None  # a built-in type
EVENT: ResourceType = _EVENT


def rt_of(plural: str, group: str = "") -> ResourceType:
    """The resource type for a plural (core unless a group is given)."""
    for rt in res.RESOURCE_TYPES:
        if rt.plural == plural and (rt.group == group or not group):
            return rt
    raise KeyError(plural)


@dataclass
class Timing:
    """How fast simulated workloads move (seconds)."""

    ready_delay: float = 2.0  # container start -> Ready (or a Job pod -> Succeeded)
    start_delay: float = 0.2  # scheduled -> containers started/pulling
    termination: float = 0.2  # a deleted pod's grace period, compressed
    backoff: float = 1.0  # first crash/pull back-off; doubles up to 8x


class ControllerManager:
    """Runs every simulated controller on one thread."""

    def __init__(self, api: Api, faults: Faults, timing: Timing) -> None:
        self.api = api
        self.faults = faults
        self.timing = timing
        self._queue: queue.SimpleQueue[Key] = queue.SimpleQueue()
        self._pending: set[Key] = set()
        self._pending_lock = threading.Lock()
        self._timers: list[tuple[float, int, Key]] = []
        self._timer_seq = itertools.count()
        self._timer_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._reconcilers: dict[str, Callable[[str, str], None]] = {}
        self._watchers: list[Callable[[Change], list[Key]]] = []
        api.store.subscribe(self._on_change)

    # -- wiring --------------------------------------------------------------------------

    def register(self, what: str, reconcile: Callable[[str, str], None]) -> None:
        """Route keys (what, namespace, name) to `reconcile(namespace, name)`."""
        self._reconcilers[what] = reconcile

    def watch(self, mapper: Callable[[Change], list[Key]]) -> None:
        """Add a mapper from store changes to keys to reconcile."""
        self._watchers.append(mapper)

    def start(self) -> None:
        """Start the controller thread."""
        self._thread = threading.Thread(target=self._run, name="sim-controllers", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the controller thread."""
        self._stop.set()
        self._queue.put(("", "", ""))
        if self._thread:
            self._thread.join(timeout=5)

    # -- queueing ------------------------------------------------------------------------

    def enqueue(self, key: Key) -> None:
        """Reconcile `key` soon (once, however often it is asked for)."""
        with self._pending_lock:
            if key in self._pending:
                return
            self._pending.add(key)
        self._queue.put(key)

    def after(self, delay: float, key: Key) -> None:
        """Reconcile `key` after `delay` seconds."""
        with self._timer_lock:
            heapq.heappush(self._timers, (time.monotonic() + delay, next(self._timer_seq), key))
        self._queue.put(("", "", ""))  # wake the loop so it sees the new deadline

    def _on_change(self, change: Change) -> None:
        for mapper in self._watchers:
            for key in mapper(change):
                self.enqueue(key)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                key = self._queue.get(timeout=self._until_next_timer())
            except queue.Empty:
                key = None
            self._fire_timers()
            if key and key[0]:
                with self._pending_lock:
                    self._pending.discard(key)
                self._reconcile(key)

    def _until_next_timer(self) -> float:
        with self._timer_lock:
            if not self._timers:
                return 0.5
            return max(0.0, min(0.5, self._timers[0][0] - time.monotonic()))

    def _fire_timers(self) -> None:
        now = time.monotonic()
        due: list[Key] = []
        with self._timer_lock:
            while self._timers and self._timers[0][0] <= now:
                due.append(heapq.heappop(self._timers)[2])
        for key in due:
            self.enqueue(key)

    def _reconcile(self, key: Key) -> None:
        reconcile = self._reconcilers.get(key[0])
        if reconcile is None:
            return
        try:
            with self.api.store.lock:
                reconcile(key[1], key[2])
        except ApiError as e:
            if e.code == 409:  # raced with a client write: look again shortly
                self.after(0.05, key)
            else:
                log.warning("reconcile %s failed: %s", key, e.message)
        except Exception:
            log.exception("reconcile %s crashed", key)

    # -- helpers for reconcilers -----------------------------------------------------------

    def write_status(self, rt: ResourceType, obj: Obj, status: dict[str, Any]) -> Obj:
        """Store a new status if it differs (through /status, like a controller)."""
        if obj.get("status") == status:
            return obj
        meta = obj["metadata"]
        return self.api.update(
            rt,
            meta.get("namespace", ""),
            meta["name"],
            {**obj, "status": status},
            subresource="status",
        ).obj

    def system_write(self, rt: ResourceType, new: Obj, old: Obj) -> Obj:
        """Write fields only the system may set (a scheduler binding, a PVC's volumeName)."""
        meta = {**new["metadata"], "resourceVersion": str(self.api.store.next_rv())}
        stored = {**new, "metadata": meta}
        self.api.store.put(rt, stored, "MODIFIED", old)
        return stored

    def record_event(
        self,
        involved: Obj,
        reason: str,
        message: str,
        *,
        type_: str = "Normal",
        component: str = "kubelet",
    ) -> None:
        """Emit a core/v1 Event about `involved`, counting repeats like the recorder does.

        Best effort, as in Kubernetes: a refused event (a terminating namespace) is dropped
        and never stops the controller that reports it."""
        try:
            self._record_event(involved, reason, message, type_, component)
        except ApiError as e:
            log.debug("event %s dropped: %s", reason, e.message)

    def _record_event(
        self, involved: Obj, reason: str, message: str, type_: str, component: str
    ) -> None:
        meta = involved["metadata"]
        namespace = meta.get("namespace") or "default"
        for existing in self.api.store.items(EVENT, namespace):
            ref = existing["involvedObject"]
            if (
                ref.get("uid") == meta.get("uid")
                and existing["reason"] == reason
                and existing["message"] == message
            ):
                self.api.update(
                    EVENT,
                    namespace,
                    existing["metadata"]["name"],
                    {**existing, "count": existing.get("count", 1) + 1, "lastTimestamp": now_iso()},
                )
                return
        stamp = now_iso()
        self.api.create(
            EVENT,
            namespace,
            {
                "apiVersion": "v1",
                "kind": "Event",
                "metadata": {"name": f"{meta['name']}.{time.time_ns():x}", "namespace": namespace},
                "involvedObject": {
                    "kind": involved["kind"],
                    "namespace": meta.get("namespace", ""),
                    "name": meta["name"],
                    "uid": meta.get("uid", ""),
                    "apiVersion": involved["apiVersion"],
                    "resourceVersion": meta.get("resourceVersion", ""),
                },
                "reason": reason,
                "message": message,
                "type": type_,
                "source": {
                    "component": component,
                    **({"host": "storedesk-sim"} if component == "kubelet" else {}),
                },
                "firstTimestamp": stamp,
                "lastTimestamp": stamp,
                "count": 1,
                "reportingComponent": component,
                "reportingInstance": "storedesk-sim",
            },
        )


def owned_by(obj: Obj, uid: str) -> bool:
    """Whether `obj` lists `uid` among its ownerReferences."""
    return any(ref.get("uid") == uid for ref in obj["metadata"].get("ownerReferences") or ())


def controller_ref(owner: Obj) -> dict[str, Any]:
    """An ownerReference marking `owner` as the controller."""
    meta = owner["metadata"]
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": meta["name"],
        "uid": meta["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def condition(
    type_: str,
    status: bool,
    reason: str = "",
    message: str = "",
    previous: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A status condition that keeps its lastTransitionTime while its status is unchanged."""
    value = "True" if status else "False"
    old = next((c for c in previous or () if c.get("type") == type_), None)
    stamp = old["lastTransitionTime"] if old and old.get("status") == value else now_iso()
    cond = {"type": type_, "status": value, "lastTransitionTime": stamp}
    if reason:
        cond["reason"] = reason
    if message:
        cond["message"] = message
    cond.update(extra)
    if (
        old
        and old.get("status") == value
        and old.get("reason") == reason
        and old.get("message") == message
    ):
        return old
    return cond
