"""Frozen records the layers exchange: facts read from the cluster, and derived store state.

Facts are plain snapshots of what the cluster says (built by `storedesk.cluster.kube`);
`storedesk.domain.status` turns them into a `StoreStatus`; the UI and CLI show
`StoreRecord`s. Nothing here does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from storedesk.errors import NextStep

# Labels and annotations Storedesk puts on what it owns.
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_BY_VALUE = "storedesk"
STORE_LABEL = "storedesk.io/store"
ENGINE_LABEL = "storedesk.io/engine"
COMPONENT_LABEL = "app.kubernetes.io/component"  # which part of a store a pod is
VERSION_ANNOTATION = "storedesk.io/version"
CREATED_ANNOTATION = "storedesk.io/created-at"
LEASE_ANNOTATION = "storedesk.io/lease"
OPTIONS_ANNOTATION = "storedesk.io/options"  # JSON of the engine options the store was made with
NAMESPACE_PREFIX = "store-"


def store_namespace(store: str) -> str:
    """The namespace that holds everything of `store` (its helm release is named `store`)."""
    return NAMESPACE_PREFIX + store


class OperationKind(StrEnum):
    """What Storedesk does to a store; the event log, locks and leases name it."""

    CREATE = "create"  # create or converge (an upgrade is a create run again)
    DELETE = "delete"
    ROLLBACK = "rollback"
    RECOVER = "recover"  # read the passwords back into the keyring
    STATUS = "status"  # the status monitor's notes of status changes


class Phase(StrEnum):
    """What a user sees in the status column."""

    PROVISIONING = "Provisioning"
    READY = "Ready"
    RUNNING = "Running"  # pods and setup done, but the shop does not answer from here
    FAILED = "Failed"
    DELETING = "Deleting"
    UNKNOWN = "Unknown"


@dataclass(frozen=True)
class NamespaceFact:
    """A store namespace (labelled managed-by=storedesk)."""

    name: str
    store: str
    engine: str
    terminating: bool = False
    created: datetime | None = None
    deleting_since: datetime | None = None
    # What the namespace controller says keeps a terminating namespace (finalizers or
    # content remaining), from its status conditions.
    held_by: str | None = None
    labels: dict[str, str] = field(default_factory=dict, compare=False, hash=False)
    annotations: dict[str, str] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class ContainerFact:
    """One container of a pod, as its status reports it."""

    name: str
    ready: bool
    restarts: int = 0
    waiting_reason: str | None = None  # e.g. ImagePullBackOff, CrashLoopBackOff
    waiting_message: str | None = None
    terminated_reason: str | None = None  # e.g. Error, Completed, OOMKilled
    image: str = ""


@dataclass(frozen=True)
class PodFact:
    """A pod of a store (labelled storedesk.io/store)."""

    name: str
    namespace: str
    store: str
    phase: str  # Pending, Running, Succeeded, Failed, Unknown
    ready: bool
    containers: tuple[ContainerFact, ...] = ()
    owner_kind: str | None = None  # ReplicaSet, StatefulSet, Job, ...
    owner_name: str | None = None
    created: datetime | None = None
    deleting: bool = False
    component: str | None = None  # app.kubernetes.io/component: wordpress, database, ...

    @property
    def restarts(self) -> int:
        """Restarts summed over containers."""
        return sum(c.restarts for c in self.containers)


@dataclass(frozen=True)
class JobFact:
    """A Job of a store (the engine's setup job)."""

    name: str
    namespace: str
    store: str
    complete: bool
    failed: bool
    failure_reason: str | None = None  # e.g. BackoffLimitExceeded, DeadlineExceeded
    failure_message: str | None = None
    created: datetime | None = None


@dataclass(frozen=True)
class ReleaseFact:
    """The newest helm release record of a store (from helm's storage Secret labels)."""

    name: str
    namespace: str
    revision: int
    status: str  # deployed, failed, pending-install, pending-upgrade, pending-rollback, ...
    modified: datetime | None = None


@dataclass(frozen=True)
class EventFact:
    """A Kubernetes Event in a store namespace."""

    namespace: str
    involved_kind: str
    involved_name: str
    reason: str
    message: str
    type: str = "Normal"  # Normal or Warning
    count: int = 1
    last_seen: datetime | None = None


@dataclass(frozen=True)
class OperationFact:
    """What this machine knows of the latest operation on a store (from the event log)."""

    kind: str  # an OperationKind, as the event log or a lease recorded it
    running: bool
    failed: bool = False
    error: str | None = None  # a user-readable message, never a secret
    error_kind: str | None = None  # helm, timeout, cluster, ...
    finished: datetime | None = None


@dataclass(frozen=True)
class StoreStatus:
    """The derived state of one store."""

    phase: Phase
    reason: str | None = None  # short: "ImagePullBackOff", "quota exceeded", ...
    detail: str | None = None  # longer explanation, e.g. the failing pod and message
    fix: str | None = None  # the suggested way forward, in prose for either front
    pods_ready: int = 0
    pods_total: int = 0
    next_steps: tuple[NextStep, ...] = ()  # what the fronts offer: buttons, or commands


@dataclass(frozen=True)
class StoreRecord:
    """One row of the store table."""

    name: str
    engine: str
    namespace: str
    status: StoreStatus
    url: str | None = None
    admin_url: str | None = None
    created: datetime | None = None
    release_revision: int | None = None
    release_status: str | None = None
    forwarded: bool = False  # shoppers reach it through Storedesk's port-forward
    links: tuple[tuple[str, str], ...] = ()  # (label, URL): more addresses (a Store API)


@dataclass(frozen=True)
class ReleaseInfo:
    """One release revision as helm reports it (never its values or manifest)."""

    name: str
    namespace: str
    revision: int
    status: str  # deployed, failed, pending-install, pending-upgrade, superseded, ...
    chart: str = ""  # name-version
    app_version: str = ""
    description: str = ""  # e.g. "Install complete" or why it failed
    updated: datetime | None = None
