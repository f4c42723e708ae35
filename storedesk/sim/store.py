"""Object storage with one resourceVersion counter and an event history for watches.

Stored objects are never mutated after they are stored: every write stores a new dict.
That lets lists, gets and watch events hand out references without copying, and makes a
watch event a true snapshot of the object at that resourceVersion.

Watches resume from the history of their resource type, sized as kube-apiserver's watch
cache sizes it: at least 100 events, doubled while its oldest event is younger than
`event_fresh` seconds (75 s, the cacher's default), up to 102400; a watch from before the
oldest event it still holds answers 410 Expired. All types together keep at most
`MAX_EVENTS` (the oldest go first): the simulator's memory stays bounded under bursts.
"""

from __future__ import annotations

import threading
import time
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


def share_unchanged(new: Obj, old: Obj) -> None:
    """Make `new` (about to be stored) use `old`'s subtrees where they are the same JSON
    (stored objects are never changed, so sharing them is safe)."""
    for key, value in new.items():
        before = old.get(key)
        if before is None or value is before:
            continue
        if same_json(value, before):
            new[key] = before  # a value, not a key: the dict's size does not change
        elif type(value) is dict and type(before) is dict:
            share_unchanged(value, before)


def same_json(a: Any, b: Any) -> bool:
    """True when `a` and `b` encode to the same JSON: unlike ==, True is not 1 and 1 is
    not 1.0, and keys must come in the same order."""
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    if type(a) is dict:
        return list(a) == list(b) and all(same_json(a[k], b[k]) for k in a)
    if type(a) is list:
        return len(a) == len(b) and all(same_json(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


class TooOld(Exception):
    """A watch asked to resume from a resourceVersion no longer in the history."""

    def __init__(self, requested: int, oldest: int) -> None:
        super().__init__(f"too old resource version: {requested} ({oldest})")


MAX_EVENTS = 20000  # changes kept for watches, all types together
_LOWER_CAPACITY = 100  # the cacher's defaultLowerBoundCapacity
_UPPER_CAPACITY = 100 * 1024  # and its defaultUpperBoundCapacity


class _History:
    """One resource type's window of changes, resized like the cacher's watchCacheHistory."""

    def __init__(self, list_rv: int) -> None:
        self.events: deque[tuple[float, Change]] = deque()
        self.capacity = _LOWER_CAPACITY
        self.list_rv = list_rv  # what the cache started from (a relist, or a restart)
        self.removed = False  # an event has been evicted since then

    def add(self, change: Change, now: float, fresh: float) -> None:
        """Record a change, growing the window while its oldest event is still fresh."""
        events = self.events
        if len(events) >= self.capacity:
            if now - events[0][0] < fresh:
                self.capacity = min(self.capacity * 2, _UPPER_CAPACITY)
            elif now - events[len(events) - self.capacity // 4][0] > fresh:
                self.capacity = max(self.capacity // 2, _LOWER_CAPACITY)
        while len(events) >= self.capacity:
            self.drop_oldest()
        events.append((now, change))

    def drop_oldest(self) -> None:
        """Forget the oldest event (resuming from before it is then too old)."""
        self.events.popleft()
        self.removed = True

    def since(self, rv: int) -> list[Change]:
        """Changes after `rv`, or TooOld when `rv` is older than the window."""
        if self.list_rv and not self.removed:
            oldest = self.list_rv + 1
        elif self.events:
            oldest = self.events[0][1].rv
        else:
            return []
        if rv < oldest - 1:
            raise TooOld(rv, oldest - 1)
        newer: list[Change] = []
        for _, change in reversed(self.events):  # ordered by rv: walk back to what was seen
            if change.rv <= rv:
                break
            newer.append(change)
        newer.reverse()
        return newer


class Store:
    """All objects of the simulated cluster, guarded by one lock."""

    def __init__(self, event_fresh: float = 75.0) -> None:
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        # type -> namespace -> name -> object: a namespace's objects without a scan.
        self._objects: dict[ResourceType, dict[str, dict[str, Obj]]] = {}
        self._rv = 0
        self._start_rv = 0  # where every watch cache starts (0, or the restored state's)
        # Seconds a watch cache keeps events at the least (the cacher's eventFreshDuration);
        # 0 keeps only its lower bound of 100 events per resource type.
        self.event_fresh = event_fresh
        self._histories: dict[ResourceType, _History] = {}
        # Every recorded change with its history, oldest first (some already dropped by
        # their own window): the global bound evicts from here.
        self._order: deque[tuple[_History, Change]] = deque()
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

    def changes_since(self, rv: int, rt: ResourceType) -> list[Change]:
        """Changes to `rt` with resourceVersion > rv; TooOld if its watch cache no longer
        reaches back that far."""
        if rv >= self._rv:
            return []
        history = self._histories.get(rt)
        if history is None:
            if rv < self._start_rv:
                raise TooOld(rv, self._start_rv)
            return []
        return history.since(rv)

    # -- writing (callers hold self.lock for read-modify-write sequences) ------------------

    def next_rv(self) -> int:
        """Allocate the next resourceVersion."""
        self._rv += 1
        return self._rv

    def put(self, rt: ResourceType, obj: Obj, event: str, old: Obj | None) -> None:
        """Store `obj` (already carrying its new resourceVersion) and record the change."""
        if old is not None:
            # The watch history keeps every version of the last 75 s: a status update
            # would otherwise hold a second copy of the spec it did not touch.
            share_unchanged(obj, old)
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
        history = self._histories.get(change.rt)
        if history is None:
            history = self._histories[change.rt] = _History(self._start_rv)
        history.add(change, time.monotonic(), self.event_fresh)
        order = self._order
        order.append((history, change))
        while len(order) > MAX_EVENTS:
            oldest, dropped = order.popleft()
            if oldest.events and oldest.events[0][1] is dropped:
                oldest.drop_oldest()
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
            self._rv = self._start_rv = int(data["resourceVersion"])
            self._histories.clear()
            self._order.clear()
            for entry in data["objects"]:
                rt = lookup(entry["group"], entry["plural"])
                if rt is not None:
                    meta = entry["object"]["metadata"]
                    self._objects.setdefault(rt, {}).setdefault(meta.get("namespace", ""), {})[
                        meta["name"]
                    ] = entry["object"]
