"""The event log: every lifecycle step of every store, kept per user, context and store.

One JSON object per line in `<data dir>/events/<context>/<store>.jsonl`, appended with
O_APPEND so two Storedesk processes can log the same store without corrupting lines.
Messages are written by Storedesk itself and never hold a secret.

Each store's log is bounded: a file past `max_bytes` becomes `<store>.jsonl.1`, replacing
the generation before it, so a store keeps between one and two files' worth of its newest
entries. Readers start from the end: the status of every store, derived every few seconds,
reads only the lines appended since it last looked.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import threading
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from enum import StrEnum
from itertools import islice
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote

from storedesk.domain.models import OperationFact
from storedesk.errors import DataDirUnavailable

# About 1,300 entries (some 60 operations) per generation: a store's log stays under 512 KiB.
MAX_BYTES = 256 * 1024
_BLOCK = 8192  # bytes read at a time, backwards from a file's end
_ENTRY_START = b'{"time": '  # how to_json begins every line


class Outcome(StrEnum):
    """How a step of an operation ended (the event log's `outcome`)."""

    STARTED = "started"
    OK = "ok"
    FAILED = "failed"
    INFO = "info"  # a note: neither a step's start nor its end


_FINISHED = (Outcome.OK, Outcome.FAILED)


@dataclass(frozen=True)
class LogEntry:
    """One step of one operation on a store."""

    time: datetime
    store: str
    operation: str  # create, delete, upgrade, rollback, status
    step: str  # "operation" for its start and end; validate, lock, helm, wait, keyring, ...
    outcome: str  # an Outcome, as the log line recorded it
    message: str
    duration: float | None = None  # seconds, for finished steps
    error_kind: str | None = None  # helm, timeout, cluster, keyring, ... (for failures)

    def to_json(self) -> str:
        """One log line."""
        data = asdict(self)
        data["time"] = self.time.isoformat()
        return json.dumps({k: v for k, v in data.items() if v is not None})

    @classmethod
    def from_json(cls, line: str) -> LogEntry:
        """Parse one log line."""
        data = json.loads(line)
        data["time"] = datetime.fromisoformat(data["time"])
        return cls(**data)

    def describe(self) -> str:
        """`2026-11-26 10:00:01  create  helm     ok      installed revision 1 (12.3 s)`."""
        took = f" ({self.duration:.1f} s)" if self.duration is not None else ""
        stamp = self.time.astimezone().strftime("%Y-%m-%d %H:%M:%S")
        return (
            f"{stamp}  {self.operation:<8} {self.step:<11} {self.outcome:<7} {self.message}{took}"
        )

    @property
    def starts_operation(self) -> bool:
        """This entry opens an operation."""
        return self.step == "operation" and self.outcome == Outcome.STARTED

    @property
    def ends_operation(self) -> bool:
        """This entry closes an operation, successful or not."""
        return self.step == "operation" and self.outcome in _FINISHED


@dataclass(frozen=True)
class _Seen:
    """The newest operation in a store's log, as read up to `offset` of its current file."""

    file: tuple[int, int] | None  # (device, inode) of the current file, None if absent
    offset: int  # just after the last complete line read
    started: LogEntry | None
    finished: LogEntry | None  # the first end after `started`, if it ended


class EventLog:
    """The event logs of one context."""

    def __init__(self, root: Path, context: str, *, max_bytes: int = MAX_BYTES) -> None:
        # Context names may hold '/' and ':' (e.g. EKS ARNs): keep them one safe folder.
        self.folder = root / "events" / quote(context, safe="")
        self.context = context
        self.max_bytes = max_bytes
        self._seen: dict[str, _Seen] = {}
        self._seen_lock = threading.Lock()  # the monitor and the GUI's workers share a log

    def path(self, store: str) -> Path:
        """The log file of one store (its newest entries)."""
        return self.folder / f"{store}.jsonl"

    def old_path(self, store: str) -> Path:
        """The generation before: not `*.jsonl`, so globbing the folder lists stores only."""
        return self.folder / f"{store}.jsonl.1"

    def append(self, entry: LogEntry) -> None:
        """Add one entry (atomic per line across processes)."""
        line = (entry.to_json() + "\n").encode()
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path(entry.store), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line)  # one write per line: O_APPEND keeps it whole
                if os.fstat(fd).st_size > self.max_bytes:
                    self._rotate(entry.store, fd)
            finally:
                os.close(fd)
        except OSError as e:
            raise DataDirUnavailable.because("the event log", self.folder, e) from None

    def _rotate(self, store: str, fd: int) -> None:
        """Make the full file `fd` the old generation; of several writers, one does it."""
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return  # another writer is rotating this very file
        try:
            # A writer that got the lock after another rotated finds the name moved on.
            if _identity(os.fstat(fd)) != _identity(os.stat(self.path(store))):
                return
            os.replace(self.path(store), self.old_path(store))
            # A current file always exists once a store has logged: readers cache it.
            os.close(os.open(self.path(store), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600))
        except FileNotFoundError:
            return
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)

    def read(self, store: str, limit: int | None = None) -> list[LogEntry]:
        """Entries of one store, oldest first (the newest `limit` if given)."""
        try:
            with self._open(store) as files:
                entries = list(islice(_newest_first(files), limit))
        except OSError as e:
            raise DataDirUnavailable.because("the event log", self.folder, e) from None
        entries.reverse()
        return entries

    def last_operation(self, store: str, *, running: bool) -> OperationFact | None:
        """The newest operation on `store` as this machine saw it.

        `running` says whether its lock is held right now; an operation that started and
        never finished while nobody holds the lock was interrupted (a crash, a kill)."""
        try:
            seen = self._newest_operation(store)
        except OSError as e:
            raise DataDirUnavailable.because("the event log", self.folder, e) from None
        if seen.started is None:
            return None
        return _operation_fact(seen.started, seen.finished, running=running)

    def _newest_operation(self, store: str) -> _Seen:
        """The newest operation, reading only what was appended since the last call."""
        with self._seen_lock:
            before = self._seen.get(store)
        with self._open(store) as files:
            current = files[0]
            if current is None:
                seen = _scan(files, None, 0)
            else:
                stat = os.fstat(current.fileno())
                if before and before.file == _identity(stat) and before.offset <= stat.st_size:
                    seen = _read_appended(current, before, stat.st_size)
                else:
                    seen = _scan(files, _identity(stat), _complete_end(current, stat.st_size))
        with self._seen_lock:
            self._seen[store] = seen
        return seen

    @contextlib.contextmanager
    def _open(self, store: str) -> Iterator[tuple[BinaryIO | None, BinaryIO | None]]:
        """The current and the old generation's files, either None when absent."""
        with contextlib.ExitStack() as stack:
            current = _open_or_none(stack, self.path(store))
            old = _open_or_none(stack, self.old_path(store))
            # Rotated between the two opens: both name one file, which is the newest.
            if current and old and _same_file(current, old):
                old = None
            yield current, old


def now() -> datetime:
    """The time entries carry (aware, UTC)."""
    return datetime.now(UTC)


# -- reading --------------------------------------------------------------------------------


def _operation_fact(
    started: LogEntry, finished: LogEntry | None, *, running: bool
) -> OperationFact:
    if finished is None:
        if running:
            return OperationFact(started.operation, running=True)
        return OperationFact(
            started.operation,
            running=False,
            failed=True,
            error=f"the {started.operation} was interrupted before it finished",
            error_kind="interrupted",
        )
    return OperationFact(
        finished.operation,
        running=False,
        failed=finished.outcome == Outcome.FAILED,
        error=finished.message if finished.outcome == Outcome.FAILED else None,
        error_kind=finished.error_kind,
        finished=finished.time,
    )


def _scan(
    files: tuple[BinaryIO | None, BinaryIO | None], file: tuple[int, int] | None, end: int
) -> _Seen:
    """Find the newest operation from the end: its start, and the first end after it."""
    current, old = files
    finished = None
    for entry in _newest_first((current, old), end):
        if entry.ends_operation:
            finished = entry  # going back in time: the last one kept is the first after
        elif entry.starts_operation:
            return _Seen(file, end, entry, finished)
    return _Seen(file, end, None, None)


def _read_appended(current: BinaryIO, before: _Seen, size: int) -> _Seen:
    """Carry `before` forward over the complete lines appended after it."""
    if size == before.offset:
        return before
    current.seek(before.offset)
    data = current.read(size - before.offset)
    cut = data.rfind(b"\n")
    if cut < 0:
        return before  # a line still being written
    started, finished = before.started, before.finished
    for line in data[:cut].split(b"\n"):
        entry = _parse(line)
        if entry is None:
            continue
        if entry.starts_operation:
            started, finished = entry, None
        elif entry.ends_operation and started is not None and finished is None:
            finished = entry
    return _Seen(before.file, before.offset + cut + 1, started, finished)


def _newest_first(
    files: tuple[BinaryIO | None, BinaryIO | None], current_end: int | None = None
) -> Iterator[LogEntry]:
    """Entries newest first: the current file (up to `current_end`), then the old one."""
    for i, f in enumerate(files):
        if f is None:
            continue
        size = f.seek(0, os.SEEK_END)
        end = current_end if i == 0 and current_end is not None else _complete_end(f, size)
        for line in _lines_backwards(f, end):
            entry = _parse(line)
            if entry is not None:
                yield entry


def _complete_end(f: BinaryIO, size: int) -> int:
    """Where a file's complete lines end: just after its last newline (0 if it has none).
    What follows is a line being written, or one a crash cut short."""
    pos = size
    while pos > 0:
        start = max(0, pos - _BLOCK)
        f.seek(start)
        cut = f.read(pos - start).rfind(b"\n")
        if cut >= 0:
            return start + cut + 1
        pos = start
    return 0


def _lines_backwards(f: BinaryIO, end: int) -> Iterator[bytes]:
    """The lines of a file's first `end` bytes (ending with a newline), last line first,
    read in blocks from the end."""
    if end == 0:
        return
    pos, carry = end - 1, b""  # the final newline ends the last line, it starts none
    while pos > 0:
        start = max(0, pos - _BLOCK)
        f.seek(start)
        parts = (f.read(pos - start) + carry).split(b"\n")
        carry = parts[0]  # may begin in the block before
        yield from reversed(parts[1:])
        pos = start
    yield carry


def _parse(line: bytes) -> LogEntry | None:
    """One entry, or None for a line a crash cut short (skipped: the rest is kept)."""
    try:
        return LogEntry.from_json(line.decode())
    except (ValueError, TypeError, KeyError):
        pass
    # The next entry was appended to the cut line: it starts where its "time" key does
    # (inside a JSON string the quotes would be escaped, so this is an entry's start).
    start = line.rfind(_ENTRY_START)
    if start <= 0:
        return None
    try:
        return LogEntry.from_json(line[start:].decode())
    except (ValueError, TypeError, KeyError):
        return None


def _open_or_none(stack: contextlib.ExitStack, path: Path) -> BinaryIO | None:
    try:
        return stack.enter_context(path.open("rb"))
    except FileNotFoundError:
        return None


def _identity(stat: os.stat_result) -> tuple[int, int]:
    return (stat.st_dev, stat.st_ino)


def _same_file(a: BinaryIO, b: BinaryIO) -> bool:
    return _identity(os.fstat(a.fileno())) == _identity(os.fstat(b.fileno()))
