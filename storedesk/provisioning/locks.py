"""Per-store locks: one operation at a time on a store, across processes and machines.

Two layers, because each covers what the other cannot:
- a lock file (flock) on this machine: instant, and released by the kernel when a process
  dies, so a crash never leaves a store locked here;
- a lease annotation on the store's namespace, written with compare-and-swap on the
  namespace's resourceVersion, renewed while the operation runs and expiring on its own,
  so a machine that vanished mid-operation blocks others for one TTL at most.
"""

from __future__ import annotations

import contextlib
import fcntl
import getpass
import json
import os
import re
import socket
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

from storedesk.cluster.kube import NAMESPACES, Conflict, KubeClient
from storedesk.domain.models import LEASE_ANNOTATION, OperationKind
from storedesk.errors import DataDirUnavailable, StoreBusy, StoredeskError

LEASE_TTL = timedelta(seconds=60)
_RENEW_EVERY = LEASE_TTL.total_seconds() / 3


def holder_id() -> str:
    """Who holds a lock: user@host, process and a per-process nonce."""
    return f"{getpass.getuser()}@{socket.gethostname()} pid {os.getpid()} #{_NONCE}"


_NONCE = uuid.uuid4().hex[:8]


@dataclass(frozen=True)
class LeaseInfo:
    """A lease as the namespace annotation records it."""

    holder: str
    operation: str
    expires: datetime

    def to_annotation(self) -> str:
        """The annotation's value."""
        return json.dumps(
            {
                "holder": self.holder,
                "operation": self.operation,
                "expires": self.expires.isoformat(),
            }
        )

    def describe(self) -> str:
        """For busy messages: `create by alice@laptop pid 12 (lease until 10:02:03)`."""
        until = self.expires.astimezone().strftime("%H:%M:%S")
        return f"{self.operation} by {self.holder} (lease until {until})"


def parse_lease(annotations: dict[str, str] | None) -> LeaseInfo | None:
    """The lease on a namespace, if any (expired or not)."""
    raw = (annotations or {}).get(LEASE_ANNOTATION)
    if not raw:
        return None
    try:
        data = json.loads(raw)
        return LeaseInfo(
            str(data["holder"]), str(data["operation"]), datetime.fromisoformat(data["expires"])
        )
    except (ValueError, KeyError, TypeError):
        return None  # a damaged lease protects nothing


def live_lease(annotations: dict[str, str] | None, now: datetime) -> LeaseInfo | None:
    """The lease if it has not expired and its holder is not a dead process of this host."""
    lease = parse_lease(annotations)
    if lease is None or lease.expires <= now or _dead_here(lease.holder):
        return None
    return lease


def _dead_here(holder: str) -> bool:
    """A holder on this machine whose process is gone (crashed or killed) holds nothing."""
    match = re.fullmatch(r"[^@]*@(?P<host>\S+) pid (?P<pid>\d+) #\w+", holder)
    if match is None or match["host"] != socket.gethostname():
        return False
    try:
        os.kill(int(match["pid"]), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, another user's
    return False


class LocalLock:
    """The lock file of one store on this machine."""

    def __init__(self, root: Path, context: str, store: str) -> None:
        self.path = root / "locks" / quote(context, safe="") / f"{store}.lock"
        self._file: IO[str] | None = None

    def acquire(self, operation: OperationKind) -> None:
        """Take the lock or raise StoreBusy naming who has it."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle = open(self.path, "a+")  # noqa: SIM115 - held open for the lock's lifetime
        except OSError as e:
            raise DataDirUnavailable.because("the lock file", self.path, e) from None
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            who = handle.read().strip() or "another Storedesk process"
            handle.close()
            raise StoreBusy(
                f"store '{self.path.stem}' is busy: {who}",
                hint="wait for that operation to finish, then retry",
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{operation} by {holder_id()}")
        handle.flush()
        self._file = handle

    def release(self) -> None:
        """Let go of the lock."""
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None

    def held_elsewhere(self) -> bool:
        """Whether some other lock holder (this process included) has it now."""
        if not self.path.exists():
            return False
        with open(self.path) as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(handle, fcntl.LOCK_UN)
        return False


class Lease:
    """The lease annotation on a store's namespace, kept alive while an operation runs."""

    def __init__(self, kube: KubeClient, namespace: str, operation: OperationKind) -> None:
        self.kube = kube
        self.namespace = namespace
        self.operation = operation
        self.holder = holder_id()
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None

    def annotation(self, now: datetime | None = None) -> str:
        """The annotation value for a lease starting now (used when creating the namespace)."""
        now = now or datetime.now(UTC)
        return LeaseInfo(self.holder, self.operation, now + LEASE_TTL).to_annotation()

    def acquire(self, namespace: dict[str, Any]) -> dict[str, Any]:
        """Put our lease on `namespace` (compare-and-swap); StoreBusy if another holds one."""
        for _ in range(3):
            lease = live_lease(namespace["metadata"].get("annotations"), datetime.now(UTC))
            if lease is not None and lease.holder != self.holder:
                raise StoreBusy(
                    f"store '{self.namespace.removeprefix('store-')}' is busy: {lease.describe()}",
                    hint="wait for that operation to finish (or the lease to expire), then retry",
                )
            try:
                return self._write(namespace, self.annotation())
            except Conflict:
                fresh = self.kube.get(NAMESPACES, self.namespace)
                if fresh is None:
                    raise
                namespace = fresh
        raise StoreBusy(f"store '{self.namespace}' keeps changing under us; retry")

    def keep_alive(self) -> None:
        """Renew the lease in the background until released."""
        self._renewer = threading.Thread(target=self._renew_loop, name="lease", daemon=True)
        self._renewer.start()

    def release(self) -> None:
        """Stop renewing and remove our lease (if the namespace still exists)."""
        self._stop.set()
        if self._renewer is not None:
            self._renewer.join(timeout=5)
        with contextlib.suppress(StoredeskError):
            for _ in range(3):
                namespace = self.kube.get(NAMESPACES, self.namespace)
                if namespace is None:
                    return
                lease = parse_lease(namespace["metadata"].get("annotations"))
                if lease is None or lease.holder != self.holder:
                    return
                try:
                    self._write(namespace, None)
                    return
                except Conflict:
                    continue

    def _write(self, namespace: dict[str, Any], value: str | None) -> dict[str, Any]:
        meta = dict(namespace["metadata"])
        annotations = dict(meta.get("annotations") or {})
        if value is None:
            annotations.pop(LEASE_ANNOTATION, None)
        else:
            annotations[LEASE_ANNOTATION] = value
        meta["annotations"] = annotations
        # PUT with the resourceVersion we read: a concurrent writer makes this a 409.
        return self.kube.replace(NAMESPACES, {**namespace, "metadata": meta})

    def _renew_loop(self) -> None:
        while not self._stop.wait(_RENEW_EVERY):
            with contextlib.suppress(StoredeskError):
                namespace = self.kube.get(NAMESPACES, self.namespace)
                if namespace is None:
                    return
                lease = parse_lease(namespace["metadata"].get("annotations"))
                if lease is not None and lease.holder == self.holder:
                    self._write(namespace, self.annotation())


@contextlib.contextmanager
def local_lock(
    root: Path, context: str, store: str, operation: OperationKind
) -> Iterator[LocalLock]:
    """Hold the machine-local lock of a store for the duration of the block."""
    lock = LocalLock(root, context, store)
    lock.acquire(operation)
    try:
        yield lock
    finally:
        lock.release()
