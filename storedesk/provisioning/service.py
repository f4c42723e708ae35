"""StoreService: everything Storedesk does to stores on one cluster (kubeconfig + context).

The CLI and the GUI both call this. Commands check everything they can before changing
anything (name, engine, options, helm, cluster, ownership, locks, keyring), then log each
step to the event log. The cluster is the source of truth: listing reads it, and a
re-run of create or delete converges whatever an earlier, interrupted run left.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property
from pathlib import Path
from urllib.parse import urlsplit

from storedesk import __version__
from storedesk.cluster import facts as convert
from storedesk.cluster.helm import HelmRunner, ReleaseInfo
from storedesk.cluster.keyring_store import CredentialStore
from storedesk.cluster.kube import (
    EVENTS,
    INGRESSES,
    JOBS,
    NAMESPACES,
    PODS,
    Conflict,
    KubeClient,
)
from storedesk.cluster.kubeconfig import ClusterTarget
from storedesk.domain.credentials import Credentials, KeyringKey
from storedesk.domain.engines import Engine
from storedesk.domain.limits import validate_timeout
from storedesk.domain.models import (
    CREATED_ANNOTATION,
    ENGINE_LABEL,
    MANAGED_BY_LABEL,
    MANAGED_BY_VALUE,
    NAMESPACE_PREFIX,
    OPTIONS_ANNOTATION,
    STORE_LABEL,
    VERSION_ANNOTATION,
    EventFact,
    NamespaceFact,
    OperationFact,
    Phase,
    PodFact,
    StoreRecord,
    StoreStatus,
    store_namespace,
)
from storedesk.domain.names import validate_store_name
from storedesk.domain.status import derive_status
from storedesk.errors import (
    Cancelled,
    ClusterUnreachable,
    Forbidden,
    HelmTimeout,
    InvalidInput,
    KeyringUnavailable,
    NameTaken,
    NextStep,
    OperationFailed,
    StoreBusy,
    StoredeskError,
    StoreNotFound,
)
from storedesk.provisioning import inventory
from storedesk.provisioning.credentials import MESSAGES, Found, StoreCredentials
from storedesk.provisioning.engines import chart_path, engines
from storedesk.provisioning.events import EventLog, LogEntry
from storedesk.provisioning.locks import Lease, LocalLock, live_lease, local_lock
from storedesk.provisioning.operation import Operation, Progress

DEFAULT_TIMEOUT = 600.0  # seconds for helm and for waiting on a store
POLL_EVERY = 0.25  # seconds between status checks while waiting on one store
FAIL_FAST_EVERY = 2.0  # seconds between status checks while helm runs
# Seconds helm runs before pods from an earlier attempt count: a rollout that replaces them
# starts new pods well within this on any cluster we know.
FAIL_FAST_SETTLE = 10.0


@dataclass(frozen=True)
class Settings:
    """Per-user settings of the engine."""

    data_dir: Path = field(default_factory=lambda: default_data_dir())
    timeout: float = DEFAULT_TIMEOUT


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
    def store_credentials(self) -> StoreCredentials:
        """The stores' credentials across the keyring and this cluster."""
        return StoreCredentials(self)

    # -- queries ---------------------------------------------------------------------------

    def cluster_info(self) -> ClusterInfo:
        """Ask the cluster who it is (raises ClusterUnreachable if it does not answer)."""
        version = self.kube.version()
        git = str(version.get("gitVersion", ""))
        return ClusterInfo(self.target.context, self.kube.server, git, demo="storedesk-sim" in git)

    def list_stores(self) -> list[StoreRecord]:
        """Every store on the cluster, in five API calls."""
        rows = inventory.records(
            inventory.collect(self.kube).facts(), self.operation, datetime.now(UTC)
        )
        self._finish_deletes({r.name for r in rows})
        return rows

    def get_store(self, name: str, *, own_operation: bool = True) -> StoreRecord:
        """One store (StoreNotFound when there is none). own_operation=False judges the
        cluster alone (how create --wait sees the store it is itself creating)."""
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
        return inventory.record(namespace, facts, operation, datetime.now(UTC))

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
        with local_lock(self.settings.data_dir, self.target.context, name, "recover"):
            credentials, where = self.store_credentials.recover(name, self.engine_of(name))
            with Operation(self.log, name, "recover") as op:
                op.note("credentials", "ok", f"recovered the passwords from {where}")
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
        return self._engine_labelled(namespace)

    def _engine_labelled(self, namespace: dict) -> Engine:
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

    # -- create ----------------------------------------------------------------------------

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
        """Create a store, or converge an existing one (same passwords, same options unless
        given, one helm upgrade). Setting `cancel` stops it (helm included)."""
        timeout = self.settings.timeout if timeout is None else validate_timeout(timeout)
        name = validate_store_name(name)
        asked = engines().get(engine) if engine is not None else None
        if asked is not None:
            asked.resolve_options(options)  # bad options fail before anything else
        helm = self.helm  # HelmUnavailable before anything changes
        ns_name = store_namespace(name)
        with local_lock(self.settings.data_dir, self.target.context, name, "create"):
            existing = self.kube.get(NAMESPACES, ns_name)
            self._check_ownership(existing, name, asked.name if asked else None)
            # An existing store keeps its engine, and the options it was made with unless
            # told otherwise.
            chosen = self._engine_labelled(existing) if existing else asked or engines().default
            chart = chart_path(chosen)
            previous = (
                inventory.store_options(existing["metadata"].get("annotations") or {})
                if existing
                else {}
            )
            resolved = chosen.resolve_options({**previous, **(options or {})})
            values = chosen.values(name, resolved)
            self._check_host_free(chosen, name, resolved)
            # Before anything changes: a locked keyring or an unreadable entry stops here.
            found, key = self.store_credentials.for_create(
                name, chosen, exists=existing is not None, options=resolved, use_keyring=use_keyring
            )
            credentials = found.credentials
            lease = Lease(self.kube, ns_name, "create")
            if existing is not None:
                existing = lease.acquire(existing)
                if previous != resolved:
                    self.kube.merge_patch(
                        NAMESPACES,
                        ns_name,
                        {
                            "metadata": {
                                "annotations": {
                                    OPTIONS_ANNOTATION: json.dumps(resolved, sort_keys=True)
                                }
                            }
                        },
                    )
            try:
                with Operation(self.log, name, "create", progress) as op:
                    op.note(
                        "validate",
                        "ok",
                        f"name '{name}', engine {chosen.name}, domain {resolved['domain']}",
                    )
                    with op.step("namespace", f"adopted namespace {ns_name}") as step:
                        if existing is None:
                            self._create_namespace(ns_name, name, chosen.name, resolved, lease)
                            step.message = f"created namespace {ns_name}"
                    lease.keep_alive()
                    self._save_credentials(op, found, key, chosen)
                    deadline = time.monotonic() + timeout
                    secrets = credentials.secrets()
                    fresh = existing is None  # a namespace made just now holds no release
                    while True:
                        try:
                            deployed = False if fresh else self._recover(op, name, ns_name, timeout)
                            with (
                                op.step("helm", f"helm upgrade --install {name}") as step,
                                FailFast(self, name, chosen, cancel) as watch,
                            ):
                                info = helm.upgrade_install(
                                    name,
                                    chart,
                                    ns_name,
                                    values={**values, **chosen.secret_values(credentials)},
                                    wait=False,
                                    timeout=timeout,
                                    atomic=deployed,
                                    secrets=secrets,
                                    cancel=watch.stop,
                                    started=watch.started,
                                )
                                step.message = (
                                    f"release {info.name} revision {info.revision}"
                                    f" {info.status} (helm {helm.tool.version})"
                                )
                            break
                        except ClusterUnreachable:
                            # An outage mid-create: wait for the cluster, then converge
                            # (helm may have left a pending release behind: look first).
                            fresh = False
                            self._wait_for_cluster(op, deadline)
                        except HelmTimeout as e:
                            raise self._with_last_events(e, ns_name) from None
                    if wait:
                        self._wait_ready(op, name, timeout)
            finally:
                lease.release()
        return self.get_store(name)

    def _check_host_free(self, engine: Engine, store: str, options: dict[str, object]) -> None:
        """Refuse a host an Ingress outside the store already serves: the ingress
        controller would send the store's shoppers to whichever it picks."""
        host = urlsplit(engine.store_url(store, options)).hostname
        try:
            ingresses, _ = self.kube.list(INGRESSES)
        except Forbidden:
            return  # not ours to see: the controller's own admission may still refuse it
        for ingress in ingresses:
            meta = ingress["metadata"]
            if meta.get("namespace") == store_namespace(store):
                continue
            hosts = {rule.get("host") for rule in ingress.get("spec", {}).get("rules") or ()}
            if host in hosts:
                raise NameTaken(
                    f"host {host} is already served by ingress {meta['name']} in namespace "
                    f"{meta.get('namespace')}",
                    hint="choose another domain or store name",
                )

    def _check_ownership(self, namespace: dict | None, store: str, engine: str | None) -> None:
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

    def _save_credentials(
        self, op: Operation, found: Found, key: KeyringKey | None, engine: Engine
    ) -> None:
        with op.step("credentials", MESSAGES[found.source]) as step:
            if key is None:
                step.message += (
                    "; not saved in the keyring (as asked): they stay only in the cluster's Secret"
                )
            else:
                self.store_credentials.save(key, found, engine)
                if not found.in_keyring:
                    step.message += f"; saved in the keyring ({self.keyring.backend_name()})"

    def _create_namespace(
        self, ns_name: str, store: str, engine: str, options: dict[str, object], lease: Lease
    ) -> None:
        try:
            self._post_namespace(ns_name, store, engine, options, lease)
        except Conflict:
            # Another machine created the store between our look and now: its namespace
            # is born with its lease, so this is a busy store, not a failure.
            rival = self.kube.get(NAMESPACES, ns_name)
            if rival is not None and convert.is_managed(rival):
                lease.acquire(rival)  # raises StoreBusy naming the holder
            raise StoreBusy(
                f"store '{store}' was created elsewhere at the same moment",
                hint="wait for that operation to finish, then retry",
            ) from None

    def _post_namespace(
        self, ns_name: str, store: str, engine: str, options: dict[str, object], lease: Lease
    ) -> None:
        self.kube.create(
            NAMESPACES,
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {
                    "name": ns_name,
                    "labels": {
                        MANAGED_BY_LABEL: MANAGED_BY_VALUE,
                        STORE_LABEL: store,
                        ENGINE_LABEL: engine,
                    },
                    "annotations": {
                        VERSION_ANNOTATION: __version__,
                        CREATED_ANNOTATION: datetime.now(UTC).isoformat(timespec="seconds"),
                        OPTIONS_ANNOTATION: json.dumps(options, sort_keys=True),
                        # Born locked: nobody can start on this store until we are done.
                        "storedesk.io/lease": lease.annotation(),
                    },
                },
            },
        )

    def _recover(self, op: Operation, name: str, namespace: str, timeout: float) -> bool:
        """Repair a release an interrupted helm left pending; True if one is deployed."""
        current = self.helm.status(name, namespace)
        if current is None or current.status in ("deployed", "failed", "superseded"):
            return current is not None and current.status == "deployed"
        with op.step("recover", f"release was {current.status}") as step:
            if current.status == "pending-install":
                self.helm.uninstall(name, namespace, wait=True, timeout=timeout)
                step.message = "removed the release helm left pending-install; installing again"
                return False
            if current.status in ("pending-upgrade", "pending-rollback"):
                target = _last_deployed(self.helm.history(name, namespace), current.revision)
                if target is None:
                    self.helm.uninstall(name, namespace, wait=True, timeout=timeout)
                    step.message = (
                        f"no deployed revision to return to; removed the {current.status} release"
                    )
                    return False
                self.helm.rollback(name, namespace, target, wait=False, timeout=timeout)
                step.message = f"rolled the {current.status} release back to revision {target}"
                return True
        return False

    def _with_last_events(self, error: HelmTimeout, namespace: str) -> HelmTimeout:
        """A helm timeout says little; the latest pod events usually say why (warnings
        first, else what the pods were last doing)."""
        try:
            events, _ = self.kube.list(EVENTS, namespace=namespace)
        except StoredeskError:
            return error
        facts = [convert.event_fact(e) for e in events]
        pods = [e for e in facts if e.involved_kind == "Pod"] or facts
        latest = sorted(
            pods,
            key=lambda e: (e.type == "Warning", e.last_seen or datetime.min.replace(tzinfo=UTC)),
        )[-3:]
        if not latest:
            return error
        told = "; ".join(
            f"{e.involved_kind.lower()}/{e.involved_name}: {e.reason}: {e.message}"
            for e in reversed(latest)
        )
        return HelmTimeout(
            f"{error.message}; latest events: {told}", hint=error.hint, next_steps=error.next_steps
        )

    def _wait_for_cluster(self, op: Operation, deadline: float) -> None:
        op.note("helm", "info", "the cluster stopped answering; waiting for it to come back")
        with op.step("recover", "the cluster answers again") as step:
            while True:
                try:
                    self.kube.version()
                    return
                except ClusterUnreachable as e:
                    if time.monotonic() > deadline:
                        step.message = str(e)
                        raise
                time.sleep(1.0)

    def _wait_ready(self, op: Operation, name: str, timeout: float) -> None:
        with op.step("wait", "store is Ready") as step:
            deadline = time.monotonic() + timeout
            while True:
                status = self.get_store(name, own_operation=False).status
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
                time.sleep(POLL_EVERY)

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
        timeout = self.settings.timeout if timeout is None else validate_timeout(timeout)
        name = validate_store_name(name)
        ns_name = store_namespace(name)
        revisions = self.history(name)
        current = revisions[-1].revision
        target = revision if revision is not None else _last_deployed(revisions, current)
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
        with local_lock(self.settings.data_dir, self.target.context, name, "rollback"):
            namespace = self.kube.get(NAMESPACES, ns_name)
            self._check_ownership(namespace, name, None)  # any engine: it is the store's
            if namespace is None:
                raise StoreNotFound(f"no store '{name}' on context '{self.target.context}'")
            lease = Lease(self.kube, ns_name, "rollback")
            lease.acquire(namespace)
            try:
                with Operation(self.log, name, "rollback", progress) as op:
                    lease.keep_alive()
                    with op.step("helm", f"rolled back from revision {current} to {target}"):
                        self.helm.rollback(name, ns_name, target, wait=False, timeout=timeout)
                    if wait:
                        self._wait_ready(op, name, timeout)
            finally:
                lease.release()
        return self.get_store(name)

    # -- delete ----------------------------------------------------------------------------

    def delete(
        self,
        name: str,
        *,
        wait: bool = True,
        timeout: float | None = None,
        progress: Progress | None = None,
        cancel: threading.Event | None = None,
    ) -> None:
        """Uninstall, delete the namespace, and (once it is gone) the keyring entry.
        Setting `cancel` stops helm; a namespace already being deleted stays so."""
        timeout = self.settings.timeout if timeout is None else validate_timeout(timeout)
        name = validate_store_name(name)
        ns_name = store_namespace(name)
        helm = self.helm  # HelmUnavailable before anything changes (the store stays as it is)
        with local_lock(self.settings.data_dir, self.target.context, name, "delete"):
            namespace = self.kube.get(NAMESPACES, ns_name)
            key = self.store_credentials.key(name)
            if namespace is None:
                if self.keyring.get(key) is None:
                    raise StoreNotFound(
                        f"no store '{name}' on context '{self.target.context}'",
                        hint="see which stores there are",
                        next_steps=(NextStep.LIST_STORES,),
                    )
                with Operation(self.log, name, "delete", progress) as op:
                    self._forget_credentials(op, name, key, "the namespace was already gone")
                return
            if not convert.is_managed(namespace):
                raise NameTaken(
                    f"namespace {ns_name} is not managed by Storedesk; Storedesk never touches it"
                )
            # An entry of Storedesk 0.1 that this cluster confirms moves to this cluster's
            # name now, so that forgetting the store later removes it too.
            with contextlib.suppress(StoredeskError):
                engine = self._engine_labelled(namespace)
                truth = self.store_credentials.in_cluster(name, engine)
                if truth is not None:
                    self.store_credentials.adopt_legacy(key, truth, engine)
            lease = Lease(self.kube, ns_name, "delete")
            if not namespace["metadata"].get("deletionTimestamp"):
                lease.acquire(namespace)
            with Operation(self.log, name, "delete", progress) as op:
                try:
                    lease.keep_alive()
                    with op.step("helm", f"helm uninstall {name}") as step:
                        if not helm.uninstall(
                            name, ns_name, wait=True, timeout=timeout, cancel=cancel
                        ):
                            step.message = "no helm release (already uninstalled)"
                    with op.step("namespace", f"deleting namespace {ns_name}"):
                        self.kube.delete(NAMESPACES, ns_name)
                finally:
                    lease.release()
                if not wait:
                    op.note(
                        "keyring",
                        "info",
                        "the keyring entry goes once the namespace is "
                        "gone (checked on the next look)",
                    )
                    return
                self._wait_gone(op, ns_name, timeout, cancel)
                self._forget_credentials(op, name, key, f"namespace {ns_name} is gone")

    def _wait_gone(
        self, op: Operation, ns_name: str, timeout: float, cancel: threading.Event | None = None
    ) -> None:
        with op.step("wait", f"namespace {ns_name} is gone"):
            deadline = time.monotonic() + timeout
            while (namespace := self.kube.get(NAMESPACES, ns_name)) is not None:
                if cancel is not None and cancel.is_set():
                    raise Cancelled(
                        f"stopped waiting; namespace {ns_name} is still "
                        f"terminating and its saved credentials are kept"
                    )
                if time.monotonic() > deadline:
                    fact = convert.namespace_fact(namespace)
                    held = f": {fact.held_by}" if fact and fact.held_by else ""
                    raise OperationFailed(
                        f"namespace {ns_name} is still terminating after {timeout:.0f}s{held}",
                        hint="a finalizer waits for a controller: start it again or remove "
                        "the finalizer, then run the delete again; the saved credentials are "
                        "kept until the namespace is gone"
                        if held
                        else "run the delete again later; the saved credentials are kept "
                        "until the namespace is gone",
                    )
                time.sleep(POLL_EVERY)

    def _forget_credentials(self, op: Operation, name: str, key: KeyringKey, why: str) -> None:
        """Remove this cluster's keyring entry; the store is gone either way, so a keyring
        that does not answer is reported (with how to finish later), not raised."""
        try:
            self.store_credentials.forget(key)
        except KeyringUnavailable as e:
            op.note(
                "keyring",
                "failed",
                f"the store is gone, but its saved credentials could "
                f"not be removed: {e}; delete the store again once the keyring answers",
                kind="keyring",
            )
            return
        op.note("keyring", "ok", f"removed the saved credentials ({why})")

    def _finish_deletes(self, present: set[str]) -> None:
        """Remove the keyring entries of stores deleted without --wait, now that they are
        gone (the cluster side goes first, always)."""
        for path in self.log.folder.glob("*.jsonl") if self.log.folder.exists() else ():
            store = path.stem
            if store in present:
                continue
            if not _keyring_cleanup_pending(self.log.read(store, limit=20)):
                continue
            # Under the store's lock (a busy store waits for the next look): a create of
            # the same name may be reusing these very passwords. Best effort: a failure is
            # logged by the operation, not raised here.
            with (
                contextlib.suppress(StoredeskError),
                local_lock(self.settings.data_dir, self.target.context, store, "delete"),
            ):
                if _keyring_cleanup_pending(self.log.read(store, limit=20)):
                    key = self.store_credentials.key(store)
                    with Operation(self.log, store, "delete") as op:
                        self._forget_credentials(op, store, key, "its namespace is gone")


def _keyring_cleanup_pending(entries: list[LogEntry]) -> bool:
    """The last operation on the store was a delete that left its keyring entry for
    later (the namespace was still terminating) and nothing removed it since."""
    steps = [e for e in entries if e.operation != "status"]  # the monitor's notes aside
    keyring = [e for e in steps if e.step == "keyring"]
    return bool(keyring) and keyring[-1].outcome == "info" and steps[-1].operation == "delete"


class FailFast:
    """While helm waits (on the setup hook), watch the store: once the cluster shows it
    failed (an image that cannot be pulled, a quota refusal, a crash loop), or the caller
    cancels, stop helm rather than wait out its timeout with the store's lock held.

    It looks only once helm runs (not while helm waits for a slot), and first only at what
    this helm run produced: pods, Jobs and events left by an earlier, failed attempt would
    otherwise stop the retry that is about to replace them. A pod from before counts once
    helm has run for SETTLE seconds and no new pod of its workload has appeared: the retry
    did not replace it (a crash loop the same chart cannot fix), and waiting out helm's
    timeout would hold the store's lock for nothing."""

    def __init__(
        self,
        service: StoreService,
        store: str,
        engine: Engine,
        cancel: threading.Event | None,
    ) -> None:
        self.service = service
        self.store = store
        self.engine = engine
        self.namespace = store_namespace(store)
        self.cancel = cancel
        self.stop = threading.Event()  # tells helm to stop
        self.started = threading.Event()  # helm tells us it runs
        self.failure: StoreStatus | None = None
        self._since = datetime.now(UTC) - timedelta(seconds=1)  # API times are whole seconds
        self._running_since: float | None = None  # monotonic time helm was first seen running
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="fail-fast", daemon=True)

    def __enter__(self) -> FailFast:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, _: object
    ) -> None:
        self._done.set()
        self._thread.join(timeout=5)
        if isinstance(exc, Cancelled) and self.failure is not None:
            status = self.failure
            raise OperationFailed(
                f"store '{self.store}' failed: {status.reason}: {status.detail}",
                hint=status.fix,
                next_steps=status.next_steps,
            ) from None

    def _watch(self) -> None:
        while not self._done.wait(FAIL_FAST_EVERY):
            if self.cancel is not None and self.cancel.is_set():
                self.stop.set()
                return
            if not self.started.is_set():
                continue
            if self._running_since is None:
                self._running_since = time.monotonic()
            try:
                status = self._status()
            except StoredeskError:
                continue  # the helm step reports what is wrong with the cluster
            if status.phase == Phase.FAILED:
                self.failure = status
                self.stop.set()
                return

    def _status(self) -> StoreStatus:
        """The store as the cluster shows it now: three lists in its namespace."""
        kube, ns, selector = self.service.kube, self.namespace, f"{STORE_LABEL}={self.store}"

        def fresh(created: datetime | None) -> bool:
            return created is not None and created >= self._since

        listed = kube.list(PODS, namespace=ns, label_selector=selector)[0]
        pods = [p for p in (convert.pod_fact(p) for p in listed) if p is not None]
        replaced = {_workload(p) for p in pods if fresh(p.created)}
        settled = (
            self._running_since is not None
            and time.monotonic() - self._running_since >= FAIL_FAST_SETTLE
        )
        jobs = [
            convert.job_fact(j) for j in kube.list(JOBS, namespace=ns, label_selector=selector)[0]
        ]
        events = [
            convert.event_fact(e)
            for e in kube.list(EVENTS, namespace=ns, field_selector="type=Warning")[0]
        ]
        return derive_status(
            NamespaceFact(ns, self.store, self.engine.name),
            [p for p in pods if fresh(p.created) or (settled and _workload(p) not in replaced)],
            [j for j in jobs if j is not None and fresh(j.created)],
            None,
            [e for e in events if fresh(e.last_seen)],
            OperationFact("create", running=True),
            now=datetime.now(UTC),
        )


def _workload(pod: PodFact) -> tuple[str | None, str | None]:
    """The workload a pod belongs to: a ReplicaSet's pods by their Deployment (its name
    less the template hash), so a rollout's new pods replace the old ones."""
    if pod.owner_kind == "ReplicaSet" and pod.owner_name:
        return ("Deployment", pod.owner_name.rsplit("-", 1)[0])
    return (pod.owner_kind, pod.owner_name)


def _last_deployed(history: list[ReleaseInfo], before: int) -> int | None:
    candidates = [
        r.revision
        for r in history
        if r.revision < before and r.status in ("deployed", "superseded")
    ]
    return max(candidates) if candidates else None


def progress_printer(write: Callable[[str], None]) -> Progress:
    """Progress callback printing one line per step (the CLI's)."""

    def show(entry: LogEntry) -> None:
        if entry.step == "operation" and entry.outcome == "started":
            return
        took = f" ({entry.duration:.1f}s)" if entry.duration is not None else ""
        write(f"{entry.step:<11} {entry.outcome:<6} {entry.message}{took}")

    return show
