"""Object storage with one resourceVersion counter and an event history for watches.

Stored objects are never mutated after they are stored: every write stores a new dict.
That lets lists, gets and watch events hand out references without copying, and makes a
watch event a true snapshot of the object at that resourceVersion.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from storedesk.sim.resources import ResourceType

Obj = dict[str, Any]


@dataclass(frozen=True)
class Change:
    """One write, as watches and controllers see it."""

    rv: int
    type: str  # ADDED, MODIFIED, DELETED
    rt: ResourceType
    obj: Obj
    old: Obj | None  # the previous version for MODIFIED/DELETED


class TooOld(Exception):
    """A watch asked to resume from a resourceVersion no longer in the history."""

    def __init__(self, requested: int, oldest: int) -> None:
        super().__init__(f"too old resource version: {requested} ({oldest})")


class Store:
    """All objects of the simulated cluster, guarded by one lock."""

    def __init__(self, history: int = 20000) -> None:
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        # type -> namespace -> name -> object: a namespace's objects without a scan.
        self._objects: dict[ResourceType, dict[str, dict[str, Obj]]] = {}
        self._rv = 0
        self._floor = 0  # every change after this resourceVersion is in the history
        self._history: deque[Change] = deque(maxlen=history)
        self._listeners: list[Callable[[Change], None]] = []

    # -- reading -------------------------------------------------------------------------

    @property
    def resource_version(self) -> int:
        """The newest resourceVersion handed out."""
        return self._rv

    def get(self, rt: ResourceType, namespace: str, name: str) -> Obj | None:
        """The stored object, or None. Never mutate it."""
        return self._objects.get(rt, {}).get(namespace, {}).get(name)

    def items(self, rt: ResourceType, namespace: str | None = None) -> Iterator[Obj]:
        """Objects of one type, in one namespace or all (sorted by namespace, name)."""
        spaces = self._objects.get(rt, {})
        chosen = [namespace] if namespace is not None else sorted(spaces)
        for ns in chosen:
            bucket = spaces.get(ns, {})
            for name in sorted(bucket):
                yield bucket[name]

    def count(self, rt: ResourceType) -> int:
        """How many objects of one type exist."""
        return sum(len(bucket) for bucket in self._objects.get(rt, {}).values())

    def changes_since(self, rv: int) -> list[Change]:
        """Changes with resourceVersion > rv; raises TooOld if the history no longer has them."""
        if rv >= self._rv:
            return []
        if rv < self._floor:
            raise TooOld(rv, self._floor + 1)
        # The history is ordered by rv: walk back from the newest end to what the caller saw.
        newer: list[Change] = []
        for change in reversed(self._history):
            if change.rv <= rv:
                break
            newer.append(change)
        newer.reverse()
        return newer

    # -- writing (callers hold self.lock for read-modify-write sequences) ------------------

    def next_rv(self) -> int:
        """Allocate the next resourceVersion."""
        self._rv += 1
        return self._rv

    def put(self, rt: ResourceType, obj: Obj, event: str, old: Obj | None) -> None:
        """Store `obj` (already carrying its new resourceVersion) and record the change."""
        meta = obj["metadata"]
        self._objects.setdefault(rt, {}).setdefault(meta.get("namespace", ""), {})[meta["name"]] = (
            obj
        )
        self._record(Change(int(meta["resourceVersion"]), event, rt, obj, old))

    def remove(self, rt: ResourceType, obj: Obj) -> Obj:
        """Remove an object; the DELETED event carries a new resourceVersion, like etcd's."""
        meta = obj["metadata"]
        spaces = self._objects[rt]
        namespace = meta.get("namespace", "")
        old = spaces[namespace].pop(meta["name"])
        if not spaces[namespace]:
            del spaces[namespace]
        gone = {**old, "metadata": {**old["metadata"], "resourceVersion": str(self.next_rv())}}
        self._record(Change(self._rv, "DELETED", rt, gone, old))
        return gone

    def subscribe(self, listener: Callable[[Change], None]) -> None:
        """Call `listener` (under the lock; keep it quick) for every change."""
        self._listeners.append(listener)

    def _record(self, change: Change) -> None:
        if len(self._history) == self._history.maxlen:
            self._floor = self._history[0].rv
        self._history.append(change)
        for listener in self._listeners:
            listener(change)
        self.changed.notify_all()

    # -- persistence ---------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """Everything, as plain data (for --state)."""
        with self.lock:
            return {
                "resourceVersion": self._rv,
                "objects": [
                    {"group": rt.group, "plural": rt.plural, "object": obj}
                    for rt, spaces in self._objects.items()
                    for bucket in spaces.values()
                    for obj in bucket.values()
                ],
            }

    def restore(
        self, data: dict[str, Any], lookup: Callable[[str, str], ResourceType | None]
    ) -> None:
        """Load a snapshot taken by `snapshot` (history starts empty, like after a restart)."""
        with self.lock:
            self._rv = self._floor = int(data["resourceVersion"])
            for entry in data["objects"]:
                rt = lookup(entry["group"], entry["plural"])
                if rt is not None:
                    meta = entry["object"]["metadata"]
                    self._objects.setdefault(rt, {}).setdefault(meta.get("namespace", ""), {})[
                        meta["name"]
                    ] = entry["object"]
