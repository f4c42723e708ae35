"""Background work on QThreads that reports back to the GUI thread by signals.

A `Task` runs one blocking call (helm, kubernetes, keyring) on its own QThread. Its public
signals are always emitted on the GUI thread, so anything may be connected to them. The
`TaskRunner` keeps every task referenced until it has finished and routes every failure
to one `failed` signal, which the window shows and logs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

log = logging.getLogger("storedesk.ui")

Work = Callable[..., Any]


@dataclass(frozen=True)
class Job:
    """What a background task does, as the window names it ("create shop")."""

    verb: str
    subject: str = ""
    notify: bool = False  # a failure is also shown above the table, not only in the status bar

    def __str__(self) -> str:
        return f"{self.verb} {self.subject}".strip()


class FunctionThread(QThread):
    """A QThread whose run() calls one function (on the new thread)."""

    def __init__(self, work: Callable[[], None], name: str) -> None:
        super().__init__()
        self._work = work
        self.setObjectName(name)

    def run(self) -> None:
        """Runs on the worker thread."""
        self._work()


class Task(QObject):
    """One blocking call on a QThread: progress, then result or error, then finished."""

    progress = Signal(object)  # whatever the work passes to its progress callback
    result = Signal(object)
    error = Signal(object)  # the exception
    finished = Signal()
    _progressed = Signal(object)  # emitted on the worker thread, delivered on ours

    def __init__(
        self, label: str, work: Work, *, with_progress: bool = False, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.label = label
        self._work = work
        self._with_progress = with_progress
        self._outcome: tuple[bool, object] | None = None
        self._thread = FunctionThread(self._run, label)
        # Queued: the receiver (this object) lives on the GUI thread.
        self._progressed.connect(self.progress, Qt.ConnectionType.QueuedConnection)
        self._thread.finished.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    def start(self) -> None:
        """Start the work on its thread."""
        self._thread.start()

    def _run(self) -> None:
        """On the worker thread: never touch a widget here."""
        try:
            value = self._work(self._progressed.emit) if self._with_progress else self._work()
        except Exception as exc:  # every failure goes to the one error handler
            self._outcome = (False, exc)
        else:
            self._outcome = (True, value)

    def wait(self, milliseconds: int) -> bool:
        """Block until the thread ended (only at shutdown, when no window is shown)."""
        return self._thread.wait(milliseconds)

    @Slot()
    def _deliver(self) -> None:
        ok, value = self._outcome or (False, RuntimeError("the task ended without a result"))
        (self.result if ok else self.error).emit(value)
        self.finished.emit()


class TaskRunner(QObject):
    """Starts tasks, keeps them alive until they finish, and reports every failure once."""

    failed = Signal(object, object)  # Job, exception

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tasks: set[Task] = set()

    def run(
        self,
        job: Job | str,
        work: Work,
        *,
        on_result: Callable[[Any], None] | None = None,
        on_progress: Callable[[Any], None] | None = None,
        on_finished: Callable[[], None] | None = None,
        report_errors: bool = True,
    ) -> Task:
        """Run `work` on a thread. Callbacks run on the GUI thread; errors go to `failed`
        (unless report_errors is False: then connect to the task's `error` yourself)."""
        job = job if isinstance(job, Job) else Job(job)
        task = Task(str(job), work, with_progress=on_progress is not None, parent=self)
        if on_result is not None:
            task.result.connect(on_result)
        if on_progress is not None:
            task.progress.connect(on_progress)
        if report_errors:
            task.error.connect(lambda exc: self.failed.emit(job, exc))
        if on_finished is not None:
            task.finished.connect(on_finished)
        task.finished.connect(lambda: self._forget(task))
        self._tasks.add(task)
        task.start()
        return task

    def wait(self, milliseconds: int) -> None:
        """Block until every task's thread ended (only at shutdown, when no window is shown)."""
        for task in list(self._tasks):
            task.wait(milliseconds)

    def _forget(self, task: Task) -> None:
        self._tasks.discard(task)
        task.deleteLater()
