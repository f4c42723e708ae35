"""StoreService: everything Storedesk does to stores on one cluster (kubeconfig + context).

The CLI and the GUI both call this. Commands check everything they can before changing
anything (name, engine, options, helm, cluster, ownership, locks, keyring), then log each
step to the event log. The cluster is the source of truth: listing reads it, and a
re-run of create or delete converges whatever an earlier, interrupted run left.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path

from storedesk.cluster import facts as convert
from storedesk.cluster.helm import HelmRunner
from storedesk.cluster.keyring_store import CredentialStore
from storedesk.cluster.kube import (
    EVENTS,
    NAMESPACES,
    PODS,
    KubeClient,
)
from storedesk.cluster.kubeconfig import ClusterTarget
from storedesk.domain.credentials import Credentials
from storedesk.domain.engines import Engine
from storedesk.domain.limits import validate_timeout
from storedesk.domain.models import (
    ENGINE_LABEL,
    NAMESPACE_PREFIX,
    EventFact,
    NamespaceFact,
    OperationFact,
    OperationKind,
    Phase,
    PodFact,
    ReleaseInfo,
    StoreRecord,
    store_namespace,
)
from storedesk.domain.names import validate_store_name
from storedesk.errors import (
    HelmTimeout,
    InvalidInput,
    NameTaken,
    NextStep,
    OperationFailed,
    StoreNotFound,
)
from storedesk.provisioning import inventory
from storedesk.provisioning.create import Create, last_deployed
from storedesk.provisioning.credentials import StoreCredentials
from storedesk.provisioning.delete import Delete
from storedesk.provisioning.engines import engines
from storedesk.provisioning.events import EventLog, LogEntry, Outcome
from storedesk.provisioning.forwards import Forwards
from storedesk.provisioning.locks import Lease, LocalLock, live_lease, local_lock
from storedesk.provisioning.operation import Operation, Progress
from storedesk.provisioning.reachability import Reachability

DEFAULT_TIMEOUT = 600.0  # seconds for helm and for waiting on a store
POLL_EVERY = 0.25  # seconds between status checks while waiting on one store
# Seconds a store may run without its shop answering before a wait gives up on it: a few
# probes, time for an ingress controller to pick up a new Ingress.
UNREACHABLE_GRACE = 30.0


@dataclass(frozen=True)
class Settings:
    """Per-user settings of the engine."""

    data_dir: Path = field(default_factory=lambda: default_data_dir())
    timeout: float | None = None  # None: the engine's own (a long first install), else 600


def default_data_dir() -> Path:
    """Where event logs and lock files live (STOREDESK_DATA_DIR overrides)."""
    if os.environ.get("STOREDESK_DATA_DIR"):
        return Path(os.environ["STOREDESK_DATA_DIR"])
    from platformdirs import user_data_path

    return user_data_path("storedesk")


@dataclass(frozen=True)
class ClusterInfo:
    """The selected cluster, as the window's status line shows it."""

    context: str
    server: str
    version: str
    demo: bool  # the built-in simulator


@dataclass(frozen=True)
class StoreDetails:
    """What the details pane shows beyond the row."""

    record: StoreRecord
    pods: list[PodFact]
    events: list[EventFact]  # newest first
    log: list[LogEntry]


class StoreService:
    """Stores on one cluster."""

    def __init__(
        self,
        target: ClusterTarget,
        *,
        settings: Settings | None = None,
        kube: KubeClient | None = None,
        helm: HelmRunner | None = None,
        keyring: CredentialStore | None = None,
    ) -> None:
        self.target = target
        self.settings = settings or Settings()
        self._kube = kube
        self._helm = helm
        self._keyring = keyring
        self._building = threading.Lock()
        self.log = EventLog(self.settings.data_dir, target.context)

    # Built on first use: the kubernetes client is slow to import and helm may be missing,
    # which only matters to the commands that need them. Under a lock: the window runs
    # several creates at once, and each would otherwise build its own (one `helm version`
    # process per create).
    @property
    def kube(self) -> KubeClient:
        """The Kubernetes client for this cluster."""
        with self._building:
            if self._kube is None:
                self._kube = KubeClient(self.target)
        return self._kube

    @property
    def helm(self) -> HelmRunner:
        """The helm runner for this cluster (HelmUnavailable when helm is missing)."""
        with self._building:
            if self._helm is None:
                self._helm = HelmRunner(self.target)
        return self._helm

    @cached_property
    def keyring(self) -> CredentialStore:
        """Where credentials are kept on this machine."""
        return self._keyring or CredentialStore()

    @cached_property
    def forwards(self) -> Forwards:
        """This cluster's port-forwards (a store served on 127.0.0.1 through the API)."""
        return Forwards(self)

    @cached_property
    def store_credentials(self) -> StoreCredentials:
        """The stores' credentials across the keyring and this cluster."""
        return StoreCredentials(self)

    # -- queries ---------------------------------------------------------------------------

    def cluster_info(self) -> ClusterInfo:
        """Ask the cluster who it is (raises ClusterUnreachable if it does not answer)."""
        version = self.kube.version()
        git = str(version.get("gitVersion", ""))
        return ClusterInfo(self.target.context, self.kube.server, git, demo="storedesk-sim" in git)

    def timeout(self, engine: Engine | None = None, *, given: float | None = None) -> float:
        """Seconds an operation gives helm and its waits: as given (checked), else the
        settings', else the engine's own, else DEFAULT_TIMEOUT."""
        if given is not None:
            return validate_timeout(given)
        if self.settings.timeout is not None:
            return self.settings.timeout
        return (engine.timeout if engine is not None else None) or DEFAULT_TIMEOUT

    @cached_property
    def reachability(self) -> Reachability:
        """Whether each store's shop answers from this machine (probed in the background)."""
        return Reachability(self)

    def list_stores(self) -> list[StoreRecord]:
        """Every store on the cluster, in five API calls; the storefronts of those whose
        pods are done are probed now, all at once (bounded by the probes' deadlines)."""
        facts, now = inventory.collect(self.kube).facts(), datetime.now(UTC)
        rows = inventory.records(facts, self.operation, now)
        self.reachability.probe_now((r, facts.pods.get(r.namespace, ())) for r in rows)
        return inventory.records(facts, self.operation, now, reach=self.reachability.known)

    def get_store(
        self, name: str, *, own_operation: bool = True, probe_now: bool = True
    ) -> StoreRecord:
        """One store (StoreNotFound when there is none). own_operation=False judges the
        cluster alone (how create --wait sees the store it is itself creating); with
        probe_now=False its storefront is probed in the background (a poll's way)."""
        name = validate_store_name(name)
        facts = inventory.collect(self.kube, name).facts()
        namespace = facts.namespaces.get(store_namespace(name))
        if namespace is None:
            raise StoreNotFound(
                f"no store '{name}' on context '{self.target.context}'",
                hint="see which stores there are",
                next_steps=(NextStep.LIST_STORES,),
            )
        operation = self.operation(namespace) if own_operation else None
        now = datetime.now(UTC)
        if not probe_now:
            return inventory.record(namespace, facts, operation, now, reach=self.reachability.fact)
        row = inventory.record(namespace, facts, operation, now)
        self.reachability.probe_now([(row, facts.pods.get(namespace.name, ()))])
        return inventory.record(namespace, facts, operation, now, reach=self.reachability.known)

    def operation(self, namespace: NamespaceFact) -> OperationFact | None:
        """The operation running on a store (here or, by its lease, elsewhere), else the
        last one this machine logged."""
        running_here = LocalLock(
            self.settings.data_dir, self.target.context, namespace.store
        ).held_elsewhere()
        lease = live_lease(namespace.annotations, datetime.now(UTC))
        if lease is not None and not running_here:
            return OperationFact(lease.operation, running=True)
        return self.log.last_operation(namespace.store, running=running_here)

    def details(self, name: str) -> StoreDetails:
        """Row, pods, the namespace's Kubernetes events and the event log of one store."""
        record = self.get_store(name)
        pods, _ = self.kube.list(PODS, namespace=record.namespace)
        events, _ = self.kube.list(EVENTS, namespace=record.namespace)
        pod_facts = [f for f in (convert.pod_fact(p) for p in pods) if f is not None]
        event_facts = sorted(
            (convert.event_fact(e) for e in events),
            key=lambda e: e.last_seen or datetime.min.replace(tzinfo=UTC),
            reverse=True,
        )
        return StoreDetails(record, pod_facts, event_facts[:50], self.log.read(name, limit=200))

    def credentials(self, name: str) -> Credentials:
        """A store's credentials as its database knows them: the cluster's Secret, else
        this machine's keyring copy for this cluster."""
        name = validate_store_name(name)
        return self.store_credentials.current(name, self.engine_of(name))

    def recover_credentials(self, name: str) -> tuple[Credentials, str]:
        """Read a store's passwords back (its Secret, else its helm release) and keep them
        in the keyring for this cluster; returns them and where they were found."""
        name = validate_store_name(name)
        with local_lock(self.settings.data_dir, self.target.context, name, OperationKind.RECOVER):
            credentials, where = self.store_credentials.recover(name, self.engine_of(name))
            with Operation(self.log, name, OperationKind.RECOVER) as op:
                op.note("credentials", Outcome.OK, f"recovered the passwords from {where}")
        return credentials, where

    def engine_of(self, name: str) -> Engine:
        """The engine an existing store was made with (its namespace's label)."""
        namespace = self.kube.get(NAMESPACES, store_namespace(name))
        if namespace is None or not convert.is_managed(namespace):
            raise StoreNotFound(
                f"no store '{name}' on context '{self.target.context}'",
                hint="see which stores there are",
                next_steps=(NextStep.LIST_STORES,),
            )
        return self.engine_of_namespace(namespace)

    def engine_of_namespace(self, namespace: dict) -> Engine:
        """The engine a store namespace's label names (InvalidInput if this has none)."""
        label = (namespace["metadata"].get("labels") or {}).get(ENGINE_LABEL, "")
        try:
            return engines().get(label)
        except InvalidInput:
            raise InvalidInput(
                f"store '{namespace['metadata']['name'].removeprefix(NAMESPACE_PREFIX)}' uses "
                f"engine '{label}', which this Storedesk does not have",
                hint="use the Storedesk that made it",
            ) from None

    def events(self, name: str, limit: int | None = None) -> list[LogEntry]:
        """A store's event log, oldest first."""
        return self.log.read(validate_store_name(name), limit)

    # -- operations -------------------------------------------------------------------------

    def create(
        self,
        name: str,
        engine: str | None = None,
        options: dict[str, object] | None = None,
        *,
        wait: bool = False,
        timeout: float | None = None,
        use_keyring: bool = True,
        progress: Progress | None = None,
        cancel: threading.Event | None = None,
    ) -> StoreRecord:
        """Create a store, or converge an existing one (same passwords, same engine and
        options unless given, one helm upgrade). Setting `cancel` stops it (helm included)."""
        return Create(self).run(
            name,
            engine,
            options,
            wait=wait,
            timeout=timeout,
            use_keyring=use_keyring,
            progress=progress,
            cancel=cancel,
        )

    def delete(
        self,
        name: str,
        *,
        wait: bool = True,
        timeout: float | None = None,
        progress: Progress | None = None,
        cancel: threading.Event | None = None,
    ) -> bool:
        """Uninstall, delete the namespace, and (once it is gone) the keyring entry; False
        when the store was being deleted already. Setting `cancel` stops helm; a namespace
        already being deleted stays so."""
        return Delete(self).run(name, wait=wait, timeout=timeout, progress=progress, cancel=cancel)

    def reconcile(self, present: Iterable[StoreRecord]) -> None:
        """Finish what earlier operations left for later, given the stores the cluster lists
        now: the saved passwords of stores deleted without waiting, once they are gone."""
        Delete(self).finish({record.name for record in present})

    def check_ownership(self, namespace: dict | None, store: str, engine: str | None) -> None:
        """Refuse a namespace that is not Storedesk's, is being deleted, or has another
        engine than `engine` (None: any)."""
        if namespace is None:
            return
        ns_name = namespace["metadata"]["name"]
        labels = namespace["metadata"].get("labels") or {}
        if not convert.is_managed(namespace):
            raise NameTaken(
                f"namespace {ns_name} exists and is not managed by Storedesk; "
                f"Storedesk never touches it",
                hint="choose another store name",
            )
        if namespace["metadata"].get("deletionTimestamp"):
            raise OperationFailed(
                f"store '{store}' is being deleted",
                hint="wait until it is gone, then create it again",
            )
        if engine is not None and labels.get(ENGINE_LABEL, engine) != engine:
            raise NameTaken(
                f"store '{store}' exists with engine {labels[ENGINE_LABEL]}",
                hint="delete it first, or choose another name",
            )

    def wait_ready(self, op: Operation, name: str, timeout: float) -> None:
        """Until the store is Ready (its shop answers), within `timeout`; a store that
        fails, or runs without answering past UNREACHABLE_GRACE, ends the wait."""
        with op.step("wait", "store is Ready") as step:
            deadline = time.monotonic() + timeout
            running_since: float | None = None
            while True:
                status = self.get_store(name, own_operation=False, probe_now=False).status
                running_since = (
                    (running_since or time.monotonic()) if status.phase == Phase.RUNNING else None
                )
                if (
                    running_since is not None
                    and time.monotonic() - running_since > UNREACHABLE_GRACE
                ):
                    raise OperationFailed(
                        f"store '{name}' runs, but its shop does not answer from this machine: "
                        f"{status.detail}",
                        hint=status.fix,
                        next_steps=status.next_steps,
                    )
                if status.phase == Phase.READY:
                    step.message = f"store is Ready ({status.pods_ready}/{status.pods_total} pods)"
                    return
                if status.phase == Phase.FAILED:
                    raise OperationFailed(
                        f"store '{name}' failed: {status.reason}: {status.detail}",
                        hint=status.fix,
                        next_steps=status.next_steps,
                    )
                if time.monotonic() > deadline:
                    raise HelmTimeout(
                        f"store '{name}' is not ready after {timeout:.0f}s: "
                        f"{status.detail or status.phase}",
                        hint="its status shows why",
                        next_steps=(NextStep.SHOW_STATUS,),
                    )
                self.reachability.pause(name, POLL_EVERY)

    # -- history and rollback ----------------------------------------------------------------

    def history(self, name: str) -> list[ReleaseInfo]:
        """The store's helm revisions, oldest first."""
        name = validate_store_name(name)
        revisions = self.helm.history(name, store_namespace(name))
        if not revisions:
            raise StoreNotFound(
                f"store '{name}' has no helm release on context '{self.target.context}'",
                hint="see which stores there are",
                next_steps=(NextStep.LIST_STORES,),
            )
        return revisions

    def rollback(
        self,
        name: str,
        revision: int | None = None,
        *,
        wait: bool = False,
        timeout: float | None = None,
        progress: Progress | None = None,
    ) -> StoreRecord:
        """Return the store to an earlier revision (default: the one before the current).

        Passwords are never rotated, so every revision carries the same ones."""
        timeout = self.timeout(given=timeout)
        name = validate_store_name(name)
        ns_name = store_namespace(name)
        revisions = self.history(name)
        current = revisions[-1].revision
        target = revision if revision is not None else last_deployed(revisions, current)
        known = {r.revision for r in revisions}
        if target is None or target not in known or target == current:
            raise InvalidInput(
                f"store '{name}' has no earlier revision to roll back to"
                if target is None
                else f"store '{name}' is at revision {target} already"
                if target == current
                else f"store '{name}' has no revision {target} to roll back to",
                hint="revisions: " + ", ".join(str(r) for r in sorted(known)),
            )
        with local_lock(self.settings.data_dir, self.target.context, name, OperationKind.ROLLBACK):
            namespace = self.kube.get(NAMESPACES, ns_name)
            self.check_ownership(namespace, name, None)  # any engine: it is the store's
            if namespace is None:
                raise StoreNotFound(f"no store '{name}' on context '{self.target.context}'")
            lease = Lease(self.kube, ns_name, OperationKind.ROLLBACK)
            lease.acquire(namespace)
            try:
                with Operation(self.log, name, OperationKind.ROLLBACK, progress) as op:
                    lease.keep_alive()
                    with op.step("helm", f"rolled back from revision {current} to {target}"):
                        self.helm.rollback(name, ns_name, target, wait=False, timeout=timeout)
                    if wait:
                        self.wait_ready(op, name, timeout)
            finally:
                lease.release()
        return self.get_store(name)
