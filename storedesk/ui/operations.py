"""What the window does to stores: create, delete, upgrade, roll back, and reading
credentials, logs and upgrades, each on a worker.

A create shows its row at once (optimistic, Provisioning) and marks it busy; the status
monitor takes over the row as soon as the cluster lists the store. Results of an
operation started on another context never touch the table shown now.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from storedesk.domain.models import ReleaseInfo, StoreRecord
from storedesk.provisioning.app import CreateQueue, pending_record
from storedesk.ui.clipboard import CLEAR_AFTER_MS, SecretClipboard
from storedesk.ui.new_store_dialog import NewStore
from storedesk.ui.session import ClusterSession
from storedesk.ui.store_model import StoreTableModel
from storedesk.ui.workers import Job, TaskRunner

if TYPE_CHECKING:
    from storedesk.domain.credentials import Credentials
    from storedesk.provisioning.forwards import ForwardState
    from storedesk.provisioning.logs import LogRequest, PodLog
    from storedesk.provisioning.service import StoreDetails, StoreService
    from storedesk.provisioning.upgrades import Upgrade


class StoreOperations(QObject):
    """Starts operations and keeps the table's busy markers and optimistic rows right."""

    progressed = Signal(object)  # LogEntry of a running operation
    idle = Signal()  # the last running create or delete ended
    running_changed = Signal()  # a create, delete, upgrade or rollback started or ended
    message = Signal(str)  # for the status bar
    keyring_refused = Signal(object, str)  # NewStore, the keyring's error: ask the user
    rolled_back = Signal(str)  # a rollback this window ran on the store ended
    converged = Signal(str, bool)  # a create or upgrade of the store ended (ok or not)
    forwarded = Signal(object)  # ForwardState: a store's port-forward runs
    started = Signal(str)  # an operation on the store started (its old failure is history)
    upgrades_found = Signal(object)  # dict[str, Upgrade]: stores with an older chart

    def __init__(
        self,
        runner: TaskRunner,
        session: ClusterSession,
        model: StoreTableModel,
        clipboard: SecretClipboard,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.runner = runner
        self.session = session
        self.model = model
        self.clipboard = clipboard
        # One entry per running create or delete (two can share a label: the same store
        # name on two contexts), with the event that stops it.
        self._running: dict[int, tuple[str, threading.Event]] = {}
        self._ids = itertools.count()
        self._creates = CreateQueue()  # at most a few creates at once; the rest hold no thread

    def create(self, request: NewStore, *, use_keyring: bool = True) -> bool:
        """Start creating a store; False (with a message) if that cannot start now."""
        if self._service_for(request.name) is None:
            return False
        self.model.add_pending(pending_record(request.name, request.engine, request.options))
        return self._create(request, request.options, use_keyring)

    def retry(self, record: StoreRecord, *, use_keyring: bool = True) -> bool:
        """Run create again on an existing store (the engine keeps its options)."""
        return self._create(NewStore(record.name, record.engine, {}), None, use_keyring)

    def upgrade(self, record: StoreRecord, upgrade: Upgrade) -> bool:
        """Install the shipped chart on `record`'s store: the converge create runs on an
        existing store (helm rolls it back at once when it fails)."""
        return self._create(
            NewStore(record.name, record.engine, {}),
            None,
            True,
            verb="upgrade",
            busy="upgrading",
            done=f"upgraded to chart {upgrade.shipped_chart}",
        )

    def running(self) -> list[str]:
        """The create and delete operations running in this window."""
        return sorted(label for label, _ in self._running.values())

    def cancel_all(self) -> None:
        """Stop every running create and delete (helm is stopped; a re-run repairs), and
        drop the creates still waiting their turn (they never start)."""
        self._creates.drop_waiting()
        for _, cancel in self._running.values():
            cancel.set()

    def _create(
        self,
        request: NewStore,
        options: dict[str, object] | None,
        use_keyring: bool,
        *,
        verb: str = "create",
        busy: str = "creating",
        done: str = "created",
    ) -> bool:
        service = self._service_for(request.name)
        if service is None:
            return False
        name, generation = request.name, self.session.generation
        job = Job(verb, name, notify=True)
        self.model.set_busy(name, busy)
        self.started.emit(name)
        key, cancel = self._started(str(job))
        outcome: dict[str, str] = {}

        def failed(error: BaseException) -> None:
            from storedesk.errors import KeyringUnavailable

            outcome["error"] = str(error)
            # Only while the same cluster is selected: the answer creates on the current one.
            current = generation == self.session.generation
            if isinstance(error, KeyringUnavailable) and use_keyring and current:
                self.keyring_refused.emit(request, error.message)

        def ended() -> None:
            self._ended(key)
            if generation == self.session.generation:
                self.model.set_busy(name, None)
                self.model.settle(name, outcome.get("error"))
                self.session.operation_ended()
                self.converged.emit(name, "error" not in outcome)

        def start() -> None:
            def finished() -> None:
                self._creates.finished()
                ended()

            task = self.runner.run(
                job,
                lambda progress: service.create(
                    name,
                    request.engine,
                    options,
                    use_keyring=use_keyring,
                    progress=progress,
                    cancel=cancel,
                ),
                on_progress=self.progressed.emit,
                on_result=lambda record: self.message.emit(
                    f"Store {name} {done}: {record.status.phase.value}"
                ),
                on_finished=finished,
            )
            task.error.connect(failed)

        def dropped() -> None:  # stopped while waiting its turn: it never ran
            outcome["error"] = "cancelled before it started; nothing was changed"
            ended()

        self._creates.submit(start, dropped)
        self.message.emit(f"{busy[:1].upper()}{busy[1:]} store {name}…")
        return True

    def delete(self, name: str) -> bool:
        """Start deleting a store (confirmed by the user already)."""
        service = self._service_for(name)
        if service is None:
            return False
        label, generation = f"delete {name}", self.session.generation
        self.model.set_busy(name, "deleting")
        self.started.emit(name)
        key, cancel = self._started(label)

        def ended() -> None:
            self._ended(key)
            if generation == self.session.generation:
                self.model.set_busy(name, None)
                self.session.operation_ended()

        self.runner.run(
            Job("delete", name, notify=True),
            lambda progress: service.delete(name, wait=True, progress=progress, cancel=cancel),
            on_progress=self.progressed.emit,
            on_result=lambda _: self.message.emit(f"Store {name} deleted"),
            on_finished=ended,
        )
        self.message.emit(f"Deleting store {name}…")
        return True

    def rollback(self, name: str, revision: int) -> bool:
        """Start returning a store to `revision` (confirmed by the user already)."""
        service = self._service_for(name)
        if service is None:
            return False
        job, generation = Job("roll back", name, notify=True), self.session.generation
        self.model.set_busy(name, "rolling back")
        self.started.emit(name)
        key, _ = self._started(str(job))

        def ended() -> None:
            self._ended(key)
            if generation == self.session.generation:
                self.model.set_busy(name, None)
                self.session.operation_ended()
                self.rolled_back.emit(name)

        self.runner.run(
            job,
            lambda progress: service.rollback(name, revision, progress=progress),
            on_progress=self.progressed.emit,
            on_result=lambda _: self.message.emit(
                f"Store {name} rolled back to revision {revision}"
            ),
            on_finished=ended,
        )
        self.message.emit(f"Rolling store {name} back to revision {revision}…")
        return True

    def recover_credentials(self, name: str) -> None:
        """Read a store's passwords back from the cluster into the keyring, on a worker."""
        service = self.session.service
        if service is None:
            self.message.emit("Not connected to a cluster")
            return
        self.started.emit(name)
        self.runner.run(
            Job("recover the passwords of", name, notify=True),
            lambda: service.recover_credentials(name),
            on_result=lambda found: self.message.emit(
                f"Passwords of {name} recovered from {found[1]} and kept in the keyring"
            ),
            on_finished=self.session.operation_ended,
        )

    def forward(self, name: str, then: Callable[[ForwardState], None] | None = None) -> None:
        """Start the store's port-forward on a worker (a no-op when it runs), then `then`."""
        service = self.session.service
        if service is None:
            return

        def started(state: ForwardState) -> None:
            self.forwarded.emit(state)
            if then is not None:
                then(state)

        self.runner.run(
            Job("forward", name, notify=True),
            lambda: service.forwards.start(name),
            on_result=started,
        )

    def load_history(
        self,
        name: str,
        then: Callable[[str, list[ReleaseInfo]], None],
        on_error: Callable[[str, BaseException], None],
    ) -> None:
        """Read a store's helm revisions on a worker (a helm call: only when asked)."""
        service = self.session.service
        if service is None:
            return
        task = self.runner.run(
            Job("read the history of", name),
            lambda: service.history(name),
            on_result=lambda revisions: then(name, revisions),
            report_errors=False,
        )
        task.error.connect(lambda error: on_error(name, error))

    def read_log(
        self,
        request: LogRequest,
        then: Callable[[PodLog], None],
        on_error: Callable[[LogRequest, BaseException], None],
    ) -> None:
        """Read one container's log on a worker (only while the Logs tab asks)."""
        service = self.session.service
        if service is None:
            return
        from storedesk.provisioning.logs import read_log

        task = self.runner.run(
            Job("read the log of", request.store),
            lambda: read_log(service, request),
            on_result=then,
            report_errors=False,
        )
        task.error.connect(lambda error: on_error(request, error))

    def find_upgrades(self, records: list[StoreRecord]) -> None:
        """Ask which stores run an older chart than the shipped one (one helm call, on a
        worker); the answer comes as `upgrades_found`."""
        service, generation = self.session.service, self.session.generation
        if service is None:
            return
        from storedesk.provisioning.upgrades import find_upgrades

        def found(upgrades: dict[str, Upgrade]) -> None:
            if generation == self.session.generation:
                self.upgrades_found.emit(upgrades)

        self.runner.run(
            Job("look for chart upgrades"),
            lambda: find_upgrades(service, records),
            on_result=found,
            report_errors=False,  # only an offer: the next look tries again
        )

    def copy_password(self, name: str) -> None:
        """Copy the store's admin password (read from the keyring on a worker)."""

        def copy(credentials: Credentials) -> None:
            self.clipboard.copy(credentials.admin_password)
            self.message.emit(
                f"Admin password of {name} copied; the clipboard is cleared "
                f"in {CLEAR_AFTER_MS // 1000} s"
            )

        self.read_credentials(name, copy)

    def read_credentials(self, name: str, then: Callable[[Credentials], None]) -> None:
        """Read a store's credentials on a worker, then call `then` on the GUI thread."""
        service, generation = self.session.service, self.session.generation
        if service is None:
            self.message.emit("Not connected to a cluster")
            return
        self.runner.run(
            Job("read the credentials of", name, notify=True),
            lambda: service.credentials(name),
            on_result=lambda c: then(c) if generation == self.session.generation else None,
        )

    def load_details(
        self,
        name: str,
        then: Callable[[StoreDetails], None],
        on_error: Callable[[BaseException], None],
        on_finished: Callable[[], None],
    ) -> None:
        """Read a store's pods, events and log on a worker."""
        service = self.session.service
        if service is None:
            on_finished()
            return
        # Its failure is said in the details pane only, not once more in the status bar.
        task = self.runner.run(
            f"load the details of {name}",
            lambda: service.details(name),
            on_result=then,
            on_finished=on_finished,
            report_errors=False,
        )
        task.error.connect(on_error)

    def _started(self, label: str) -> tuple[int, threading.Event]:
        key, cancel = next(self._ids), threading.Event()
        self._running[key] = (label, cancel)
        self.running_changed.emit()
        return key, cancel

    def _ended(self, key: int) -> None:
        del self._running[key]
        self.running_changed.emit()
        if not self._running:
            self.idle.emit()

    def _service_for(self, name: str) -> StoreService | None:
        service = self.session.service
        if service is None:
            self.message.emit(
                "Not connected to a cluster: choose a context or start the demo cluster"
            )
            return None
        busy = self.model.busy(name)
        if busy:
            self.message.emit(f"Store {name} is busy ({busy}); wait until it finishes")
            return None
        return service
