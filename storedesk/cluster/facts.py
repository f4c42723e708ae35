"""Kubernetes objects (JSON dicts) to the domain's facts. Pure: no I/O."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from storedesk.domain.models import (
    COMPONENT_LABEL,
    ENGINE_LABEL,
    MANAGED_BY_LABEL,
    MANAGED_BY_VALUE,
    NAMESPACE_PREFIX,
    STORE_LABEL,
    ContainerFact,
    EventFact,
    JobFact,
    NamespaceFact,
    PodFact,
    ReleaseFact,
)

Obj = dict[str, Any]
HELM_RELEASE_PREFIX = "sh.helm.release.v1."


def timestamp(text: str | None) -> datetime | None:
    """An RFC 3339 time from the API, or None."""
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def is_managed(namespace: Obj) -> bool:
    """Storedesk only ever modifies namespaces that carry its managed-by label."""
    labels = namespace.get("metadata", {}).get("labels") or {}
    return labels.get(MANAGED_BY_LABEL) == MANAGED_BY_VALUE


def namespace_fact(namespace: Obj) -> NamespaceFact | None:
    """The store namespace, or None when it is not Storedesk's."""
    meta = namespace.get("metadata", {})
    labels = meta.get("labels") or {}
    name = meta.get("name", "")
    if not is_managed(namespace):
        return None
    store = labels.get(STORE_LABEL) or name.removeprefix(NAMESPACE_PREFIX)
    return NamespaceFact(
        name=name,
        store=store,
        engine=labels.get(ENGINE_LABEL, "unknown"),
        terminating=bool(meta.get("deletionTimestamp"))
        or namespace.get("status", {}).get("phase") == "Terminating",
        created=timestamp(meta.get("creationTimestamp")),
        deleting_since=timestamp(meta.get("deletionTimestamp")),
        held_by=_held_by(namespace),
        labels=dict(labels),
        annotations=dict(meta.get("annotations") or {}),
    )


# Conditions the namespace controller sets while something keeps a namespace terminating.
_HOLDING_CONDITIONS = (
    "NamespaceFinalizersRemaining",
    "NamespaceContentRemaining",
    "NamespaceDeletionContentFailure",
    "NamespaceDeletionDiscoveryFailure",
)


def _held_by(namespace: Obj) -> str | None:
    conditions = namespace.get("status", {}).get("conditions") or []
    held = {c.get("type"): c.get("message") for c in conditions if c.get("status") == "True"}
    told = [str(held[kind]) for kind in _HOLDING_CONDITIONS if held.get(kind)]
    return "; ".join(told) or None


def _container(status: Obj) -> ContainerFact:
    state = status.get("state") or {}
    waiting = state.get("waiting") or {}
    terminated = state.get("terminated") or (status.get("lastState") or {}).get("terminated") or {}
    return ContainerFact(
        name=status.get("name", ""),
        ready=bool(status.get("ready")),
        restarts=int(status.get("restartCount") or 0),
        waiting_reason=waiting.get("reason"),
        waiting_message=waiting.get("message"),
        terminated_reason=terminated.get("reason"),
        image=status.get("image", ""),
    )


def pod_fact(pod: Obj) -> PodFact | None:
    """A store's pod (labelled with its store), or None for anything else."""
    meta = pod.get("metadata", {})
    store = (meta.get("labels") or {}).get(STORE_LABEL)
    if not store:
        return None
    status = pod.get("status") or {}
    ready = any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in status.get("conditions") or ()
    )
    owner = next((ref for ref in meta.get("ownerReferences") or () if ref.get("controller")), None)
    containers = [
        *(status.get("initContainerStatuses") or ()),
        *(status.get("containerStatuses") or ()),
    ]
    return PodFact(
        name=meta.get("name", ""),
        namespace=meta.get("namespace", ""),
        store=store,
        phase=status.get("phase", "Pending"),
        ready=ready,
        containers=tuple(_container(c) for c in containers),
        owner_kind=owner.get("kind") if owner else None,
        owner_name=owner.get("name") if owner else None,
        created=timestamp(meta.get("creationTimestamp")),
        deleting=bool(meta.get("deletionTimestamp")),
        component=(meta.get("labels") or {}).get(COMPONENT_LABEL),
    )


def job_fact(job: Obj) -> JobFact | None:
    """A store's Job, or None for anything else."""
    meta = job.get("metadata", {})
    store = (meta.get("labels") or {}).get(STORE_LABEL)
    if not store:
        return None
    conditions = {
        c.get("type"): c
        for c in (job.get("status") or {}).get("conditions") or ()
        if c.get("status") == "True"
    }
    failed = conditions.get("Failed")
    return JobFact(
        name=meta.get("name", ""),
        namespace=meta.get("namespace", ""),
        store=store,
        complete="Complete" in conditions,
        failed=failed is not None,
        failure_reason=failed.get("reason") if failed else None,
        failure_message=failed.get("message") if failed else None,
        created=timestamp(meta.get("creationTimestamp")),
    )


def release_record(secret: Obj) -> Obj:
    """What release_facts() reads of a helm release Secret's metadata (not its
    managedFields and the rest, which would be kept for every revision of every store)."""
    meta = secret.get("metadata", {})
    kept = ("name", "namespace", "labels", "creationTimestamp")
    return {"metadata": {k: meta[k] for k in kept if k in meta}}


def release_facts(secrets: Iterable[Obj]) -> dict[tuple[str, str], ReleaseFact]:
    """The newest revision of every helm release, from its storage Secrets' metadata.

    helm labels each revision's Secret owner=helm, name, version and status, so the
    metadata alone (no release payload) tells each release's state."""
    newest: dict[tuple[str, str], ReleaseFact] = {}
    for secret in secrets:
        meta = secret.get("metadata", {})
        labels = meta.get("labels") or {}
        if labels.get("owner") != "helm" or not meta.get("name", "").startswith(
            HELM_RELEASE_PREFIX
        ):
            continue
        try:
            revision = int(labels.get("version", "0"))
        except ValueError:
            continue
        key = (meta.get("namespace", ""), labels.get("name", ""))
        if key not in newest or newest[key].revision < revision:
            newest[key] = ReleaseFact(
                name=key[1],
                namespace=key[0],
                revision=revision,
                status=labels.get("status", "unknown"),
                modified=timestamp(labels.get("modifiedAt"))
                or timestamp(meta.get("creationTimestamp")),
            )
    return newest


def event_fact(event: Obj) -> EventFact:
    """A Kubernetes Event."""
    involved = event.get("involvedObject") or {}
    series = event.get("series") or {}
    last = (
        event.get("lastTimestamp")
        or series.get("lastObservedTime")
        or event.get("eventTime")
        or event.get("metadata", {}).get("creationTimestamp")
    )
    return EventFact(
        namespace=event.get("metadata", {}).get("namespace", ""),
        involved_kind=involved.get("kind", ""),
        involved_name=involved.get("name", ""),
        reason=event.get("reason", ""),
        message=event.get("message", ""),
        type=event.get("type", "Normal"),
        count=int(event.get("count") or 1),
        last_seen=timestamp(last),
    )
