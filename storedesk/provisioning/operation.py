"""One operation on a store, logged step by step to the event log."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from storedesk.domain.models import OperationKind
from storedesk.errors import (
    ClusterUnreachable,
    Forbidden,
    HelmFailed,
    HelmTimeout,
    HelmUnavailable,
    InvalidInput,
    KeyringUnavailable,
    KubeconfigError,
    StoreBusy,
    StoredeskError,
)
from storedesk.provisioning.events import EventLog, LogEntry, Outcome, now

Progress = Callable[[LogEntry], None]

_KINDS: tuple[tuple[type[Exception], str], ...] = (
    (HelmTimeout, "timeout"),
    (HelmFailed, "helm"),
    (HelmUnavailable, "helm-missing"),
    (ClusterUnreachable, "cluster"),
    (KubeconfigError, "kubeconfig"),
    (Forbidden, "forbidden"),
    (KeyringUnavailable, "keyring"),
    (StoreBusy, "busy"),
    (InvalidInput, "input"),
)


def error_kind(error: BaseException) -> str:
    """A short, stable name for the kind of failure (the log's and JSON's error_kind)."""
    if isinstance(error, KeyboardInterrupt):
        return "interrupted"
    for cls, kind in _KINDS:
        if isinstance(error, cls):
            return kind
    return "error"


def describe_error(error: BaseException) -> str:
    """A user-facing message for any failure (ours carry one; others get their type)."""
    if isinstance(error, StoredeskError):
        return str(error)
    if isinstance(error, KeyboardInterrupt):
        # Ctrl+C, or a stop signal the CLI raises as one (its text names the signal).
        return f"interrupted by {error}; stopped" if str(error) else "interrupted (Ctrl+C); stopped"
    return f"unexpected {type(error).__name__}: {error}"


@dataclass
class Step:
    """A step in progress; the code may refine the message it finishes with."""

    name: str
    message: str
    started: float = field(default_factory=time.monotonic)


class Operation:
    """Logs `started`, each step with its outcome and duration, then `ok` or `failed`."""

    def __init__(
        self, log: EventLog, store: str, kind: OperationKind, progress: Progress | None = None
    ) -> None:
        self.log = log
        self.store = store
        self.kind = kind
        self.progress = progress
        self._started = 0.0

    def note(
        self,
        step: str,
        outcome: Outcome,
        message: str,
        duration: float | None = None,
        kind: str | None = None,
    ) -> None:
        """Write one entry (and tell whoever follows progress)."""
        entry = LogEntry(now(), self.store, self.kind, step, outcome, message, duration, kind)
        self.log.append(entry)
        if self.progress is not None:
            self.progress(entry)

    def __enter__(self) -> Operation:
        self._started = time.monotonic()
        self.note("operation", Outcome.STARTED, f"{self.kind} {self.store}")
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, _: object
    ) -> None:
        took = time.monotonic() - self._started
        if exc is None:
            self.note("operation", Outcome.OK, f"{self.kind} {self.store} finished", took)
        else:
            self.note("operation", Outcome.FAILED, describe_error(exc), took, error_kind(exc))

    @contextlib.contextmanager
    def step(self, name: str, message: str) -> Iterator[Step]:
        """Run a step; it finishes `ok` with `step.message` or `failed` with the error."""
        current = Step(name, message)
        try:
            yield current
        except BaseException as e:
            self.note(
                name,
                Outcome.FAILED,
                describe_error(e),
                time.monotonic() - current.started,
                error_kind(e),
            )
            raise
        self.note(name, Outcome.OK, current.message, time.monotonic() - current.started)
