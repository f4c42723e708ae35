"""The event log: every lifecycle step of every store, kept per user, context and store.

One JSON object per line in `<data dir>/events/<context>/<store>.jsonl`, appended with
O_APPEND so two Storedesk processes can log the same store without corrupting lines.
Messages are written by Storedesk itself and never hold a secret.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from storedesk.domain.models import OperationFact
from storedesk.errors import DataDirUnavailable

# Steps of an operation, in the order a create goes through them.
STEPS = (
    "operation",
    "validate",
    "lock",
    "namespace",
    "credentials",
    "recover",
    "helm",
    "wait",
    "status",
    "delete",
    "keyring",
)


@dataclass(frozen=True)
class LogEntry:
    """One step of one operation on a store."""

    time: datetime
    store: str
    operation: str  # create, delete, upgrade, rollback, status
    step: str  # one of STEPS
    outcome: str  # started, ok, failed, info
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


class EventLog:
    """The event logs of one context."""

    def __init__(self, root: Path, context: str) -> None:
        # Context names may hold '/' and ':' (e.g. EKS ARNs): keep them one safe folder.
        self.folder = root / "events" / quote(context, safe="")
        self.context = context

    def path(self, store: str) -> Path:
        """The log file of one store."""
        return self.folder / f"{store}.jsonl"

    def append(self, entry: LogEntry) -> None:
        """Add one entry (atomic per line across processes)."""
        line = (entry.to_json() + "\n").encode()
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path(entry.store), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line)
            finally:
                os.close(fd)
        except OSError as e:
            raise DataDirUnavailable.because("the event log", self.folder, e) from None

    def read(self, store: str, limit: int | None = None) -> list[LogEntry]:
        """Entries of one store, oldest first (the newest `limit` if given)."""
        try:
            lines = self.path(store).read_text().splitlines()
        except FileNotFoundError:
            return []
        except OSError as e:
            raise DataDirUnavailable.because("the event log", self.folder, e) from None
        entries = []
        for line in lines[-limit:] if limit else lines:
            try:
                entries.append(LogEntry.from_json(line))
            except (ValueError, TypeError, KeyError):
                continue  # a line cut short by a crash: skip it, keep the rest
        return entries

    def last_operation(self, store: str, *, running: bool) -> OperationFact | None:
        """The newest operation on `store` as this machine saw it.

        `running` says whether its lock is held right now; an operation that started and
        never finished while nobody holds the lock was interrupted (a crash, a kill)."""
        entries = self.read(store, limit=200)
        starts = [
            i for i, e in enumerate(entries) if e.step == "operation" and e.outcome == "started"
        ]
        if not starts:
            return None
        started = entries[starts[-1]]
        finish = next(
            (
                e
                for e in entries[starts[-1] + 1 :]
                if e.step == "operation" and e.outcome in ("ok", "failed")
            ),
            None,
        )
        if finish is None:
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
            finish.operation,
            running=False,
            failed=finish.outcome == "failed",
            error=finish.message if finish.outcome == "failed" else None,
            error_kind=finish.error_kind,
            finished=finish.time,
        )


def now() -> datetime:
    """The time entries carry (aware, UTC)."""
    return datetime.now(UTC)
