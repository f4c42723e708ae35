"""The selected cluster: its contexts, the StoreService for the chosen one, the status
monitor feeding the table, and the built-in demo cluster.

Everything that reads the kubeconfig, builds clients or starts the simulator runs on a
worker. Each selection gets a new generation number: results and snapshots from an
earlier selection are dropped, so switching context never mixes two clusters' rows.
"""

from __future__ import annotations

import contextlib
import gc
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from storedesk.errors import StoredeskError
from storedesk.provisioning.demo import DEMO_CONTEXT, demo_files, start_demo
from storedesk.provisioning.operation import describe_error
from storedesk.ui.monitor_worker import MonitorWorker
from storedesk.ui.ui_settings import LastContext
from storedesk.ui.workers import Job, TaskRunner

if TYPE_CHECKING:
    from storedesk.provisioning.app import ContextInfo
    from storedesk.provisioning.demo import SimulatorProcess
    from storedesk.provisioning.monitor import Snapshot
    from storedesk.provisioning.service import ClusterInfo, StoreService


_frozen = False


def _warm_keyring(service: StoreService) -> None:
    """Let keyring pick its backend now, on this worker: the first pick imports every
    backend it knows (the macOS one runs gcc and ld to look for a library), which under
    load took seconds, in the middle of the user's first create."""
    from storedesk.errors import KeyringUnavailable

    # Unavailable is said when a store needs the keyring, with the user's choices.
    with contextlib.suppress(KeyringUnavailable):
        service.keyring.backend_name()


def _freeze_startup_objects() -> None:
    """Once the first snapshot is in, Qt, the kubernetes client and their modules are
    loaded for good: move them out of the garbage collector's full passes, which otherwise
    walk all of them and stall the GUI thread (measured: tens of milliseconds each)."""
    global _frozen
    if not _frozen:
        _frozen = True
        gc.freeze()


@dataclass(frozen=True)
class ContextChoice:
    """A context the user can switch to."""

    name: str
    kubeconfig: str | None  # None: the kubeconfig selected by --kubeconfig/KUBECONFIG/default
    demo: bool = False  # the built-in demo cluster
    # Where it answers: for the demo cluster, a new port at each start; not its identity.
    server: str = field(default="", compare=False)

    @property
    def label(self) -> str:
        """How the context picker lists it."""
        return f"{self.name} (built-in demo)" if self.demo else self.name


class Connection(Enum):
    """How the window is connected to its cluster."""

    CONNECTING = "connecting"
    REACHABLE = "reachable"
    UNREACHABLE = "unreachable"
    NO_CLUSTER = "no cluster"  # no kubeconfig, an invalid one, or an unknown context
    STARTING_DEMO = "starting demo"


@dataclass(frozen=True)
class ClusterState:
    """What the context line and the banner show."""

    connection: Connection
    choice: ContextChoice | None = None
    error: str | None = None  # what went wrong, in the engine's words
    info: ClusterInfo | None = None
    hint: str | None = None  # what to do about it, when the engine says


class ClusterSession(QObject):
    """One selected cluster at a time; signals tell the window what changed."""

    contexts_changed = Signal(object, object)  # list[ContextChoice], current ContextChoice|None
    state_changed = Signal(object)  # ClusterState
    records_changed = Signal(object)  # tuple[StoreRecord, ...] from the status monitor
    switched = Signal()  # another cluster is selected: forget the rows shown
    failed = Signal(object, object)  # Job, exception: for the window's one error handler

    def __init__(
        self,
        runner: TaskRunner,
        kubeconfig: str | None = None,
        *,
        data_dir: Path | None = None,
        timeout: float | None = None,
        env: Mapping[str, str] = os.environ,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.runner = runner
        self.kubeconfig = kubeconfig
        self.env = env
        self._data_dir = data_dir
        self._timeout = timeout  # helm's and waits' limit; None: the engine's default
        self.generation = 0
        self.state = ClusterState(Connection.CONNECTING)
        self.service: StoreService | None = None
        self.demo: SimulatorProcess | None = None
        self.demo_starting = False  # until the demo cluster serves (or fails to start)
        self._choice: ContextChoice | None = None
        self._user_choices: list[ContextChoice] = []
        self._monitor: MonitorWorker | None = None
        self._retired: set[MonitorWorker] = set()
        self._start_args: tuple[str | None, LastContext | None] = (None, None)

    # -- selection ---------------------------------------------------------------------------

    def start(self, context: str | None = None, last: LastContext | None = None) -> None:
        """Read the kubeconfig's contexts, then select `context`, else the last one used, else
        the kubeconfig's current context. The demo cluster is remembered like any context:
        when it was the last one used it starts again, whatever the kubeconfig holds."""
        self._start_args = (context, last)
        self.generation += 1
        generation = self.generation
        self._set_state(ClusterState(Connection.CONNECTING))
        task = self.runner.run(
            "read the kubeconfig",
            self._read_contexts,
            report_errors=False,
            on_result=lambda infos: self._contexts_read(generation, infos),
        )
        task.error.connect(lambda exc: self._contexts_failed(generation, exc))
        if context is None and last is not None and last.demo:
            self.start_demo()

    def select(self, choice: ContextChoice) -> None:
        """Switch to `choice`: drop the rows shown, connect, and follow its stores (the demo
        cluster is started first if it does not run)."""
        if choice.demo and (self.demo is None or not self.demo.running):
            self.start_demo()
            return
        if choice == self._choice and self._monitor is not None:
            return  # picked again from the menu: it is already followed
        self.generation += 1
        generation = self.generation
        self._retire_monitor()
        self._stop_forwards()
        self.service = None
        self._choice = choice
        self.switched.emit()
        self.contexts_changed.emit(self.choices(), choice)
        self._set_state(ClusterState(Connection.CONNECTING, choice))
        task = self.runner.run(
            f"connect to {choice.name}",
            lambda: self._connect(choice),
            report_errors=False,
            on_result=lambda service: self._connected(generation, service),
        )
        task.error.connect(lambda exc: self._no_cluster(generation, choice, exc))

    def operation_ended(self) -> None:
        """One of our operations ended: show its outcome now (the watch brings the rest)."""
        if self._monitor is not None:
            self._monitor.rederive()

    def refresh(self) -> None:
        """List again now; retry connecting when there is no connection."""
        if self._monitor is not None:
            self._monitor.refresh()
        elif self._choice is not None:
            self.select(self._choice)
        else:
            self.start(*self._start_args)

    def start_demo(self) -> None:
        """Start the built-in demo cluster (once) and select it."""
        if self.demo is not None and self.demo.running:
            self.select(self._demo_choice(self.demo))
            return
        if self.demo_starting:  # one demo cluster: its state file has one writer
            return
        self.demo_starting = True
        self._set_state(ClusterState(Connection.STARTING_DEMO, self._choice))
        task = self.runner.run(
            Job("start the demo cluster", notify=True),
            lambda: start_demo(self.data_dir()),
            on_result=self._demo_started,
        )
        task.error.connect(self._demo_failed)

    def choices(self) -> list[ContextChoice]:
        """Every context to switch to: the kubeconfig's, and the built-in demo cluster
        (picking it starts it)."""
        if self.demo is not None:
            demo = [self._demo_choice(self.demo)]
        elif self._data_dir is not None:
            demo = [ContextChoice(DEMO_CONTEXT, str(demo_files(self._data_dir)[0]), demo=True)]
        else:
            demo = []
        return self._user_choices + demo

    def demo_kubeconfig(self) -> Path:
        """The demo cluster's kubeconfig: the CLI reaches it there while the window runs it."""
        return demo_files(self.data_dir())[0]

    @property
    def choice(self) -> ContextChoice | None:
        """The selected context."""
        return self._choice

    def data_dir(self) -> Path:
        """Where the engine keeps event logs and locks (and the demo its state)."""
        if self._data_dir is None:
            from storedesk.provisioning.service import default_data_dir

            self._data_dir = default_data_dir()
        return self._data_dir

    def shutdown(self, wait_ms: int = 5000) -> None:
        """Stop following the cluster and stop the demo cluster (saving its state). Blocks:
        call it once the window is gone."""
        self.generation += 1
        self._retire_monitor()
        self._stop_forwards()
        for worker in list(self._retired):
            worker.wait(wait_ms)
        if self.demo is not None:
            self.demo.stop()
            self.demo = None

    # -- on workers ----------------------------------------------------------------------------

    def _read_contexts(self) -> list[ContextInfo]:
        from storedesk.provisioning.app import contexts

        self.data_dir()  # resolve it here too: it imports the engine
        return contexts(self.kubeconfig, self.env)

    def _connect(self, choice: ContextChoice) -> StoreService:
        from storedesk.provisioning import monitor  # noqa: F401 (imported here, off the GUI thread)
        from storedesk.provisioning.app import connect

        service = connect(
            choice.kubeconfig,
            choice.name,
            self.env,
            data_dir=self.data_dir(),
            timeout=self._timeout,
        )
        _warm_keyring(service)
        return service

    # -- results, on the GUI thread ------------------------------------------------------------

    def _contexts_read(self, generation: int, infos: list[ContextInfo]) -> None:
        self._user_choices = [
            ContextChoice(i.name, self.kubeconfig, server=i.server) for i in infos
        ]
        wanted, last = self._start_args
        if generation != self.generation or (not wanted and last is not None and last.demo):
            # The demo cluster (starting, or selected meanwhile) is followed: only list them.
            self.contexts_changed.emit(self.choices(), self._choice)
            return
        by_name = {c.name: c for c in self._user_choices}
        if wanted:
            self.select(by_name.get(wanted) or ContextChoice(wanted, self.kubeconfig))
        elif last is not None and last.name in by_name:
            self.select(by_name[last.name])
        else:
            current = next((i.name for i in infos if i.is_current), None)
            chosen = by_name.get(current or "") or next(iter(self._user_choices), None)
            if chosen is None:
                self._no_cluster(generation, None, _no_contexts(self.kubeconfig))
            else:
                self.select(chosen)

    def _connected(self, generation: int, service: StoreService) -> None:
        if generation != self.generation:
            return
        self.service = service
        worker = MonitorWorker(service, self)
        worker.snapshot.connect(lambda snapshot: self._on_snapshot(generation, snapshot))
        worker.failed.connect(lambda exc: self.failed.emit(Job("follow the cluster"), exc))
        worker.finished.connect(lambda: self._monitor_finished(worker))
        self._monitor = worker
        worker.start()

    def _on_snapshot(self, generation: int, snapshot: Snapshot) -> None:
        if generation != self.generation:
            return
        _freeze_startup_objects()
        self.records_changed.emit(snapshot.records)
        connection = Connection.REACHABLE if snapshot.reachable else Connection.UNREACHABLE
        self._set_state(ClusterState(connection, self._choice, snapshot.error, snapshot.cluster))

    def _contexts_failed(self, generation: int, error: BaseException) -> None:
        self._user_choices = []
        self.contexts_changed.emit(self.choices(), self._choice)
        _, last = self._start_args
        if last is not None and last.demo and (self.demo_starting or self.demo is not None):
            return  # the demo cluster, used last, is starting: no kubeconfig needed
        self._no_cluster(generation, None, error)

    def _no_cluster(
        self, generation: int, choice: ContextChoice | None, error: BaseException
    ) -> None:
        if generation == self.generation:
            self._set_state(_failed_state(Connection.NO_CLUSTER, choice, error))

    def _demo_started(self, simulator: SimulatorProcess) -> None:
        self.demo, self.demo_starting = simulator, False
        self.select(self._demo_choice(simulator))

    def _demo_failed(self, error: BaseException) -> None:
        self.demo_starting = False
        self._set_state(_failed_state(Connection.NO_CLUSTER, self._choice, error))

    def _set_state(self, state: ClusterState) -> None:
        if state != self.state:
            self.state = state
            self.state_changed.emit(state)

    def _stop_forwards(self) -> None:
        """The forwards of the cluster being left stop with it (nothing listens after)."""
        if self.service is not None and "forwards" in vars(self.service):
            self.service.forwards.stop_all()

    def _retire_monitor(self) -> None:
        if self._monitor is not None:
            self._monitor.stop()
            self._retired.add(self._monitor)
            self._monitor = None

    def _monitor_finished(self, worker: MonitorWorker) -> None:
        self._retired.discard(worker)
        if worker is self._monitor:  # it ended by itself: say so, and let Refresh restart
            self._monitor = None
            self._set_state(
                ClusterState(
                    Connection.UNREACHABLE,
                    self._choice,
                    "Storedesk stopped following the cluster; Refresh starts again",
                )
            )
        worker.deleteLater()

    @staticmethod
    def _demo_choice(simulator: SimulatorProcess) -> ContextChoice:
        return ContextChoice(
            simulator.context, str(simulator.kubeconfig), demo=True, server=simulator.url
        )


def _failed_state(
    connection: Connection, choice: ContextChoice | None, error: BaseException
) -> ClusterState:
    """The state after `error`: its message and its hint apart, so each is said once."""
    if isinstance(error, StoredeskError):
        return ClusterState(connection, choice, error.message, hint=error.hint)
    return ClusterState(connection, choice, describe_error(error))


def _no_contexts(kubeconfig: str | None) -> Exception:
    from storedesk.errors import KubeconfigError

    where = kubeconfig or "the kubeconfig"
    return KubeconfigError(
        f"{where} defines no contexts",
        hint="add one with your cluster's tools, or start the demo cluster",
    )
