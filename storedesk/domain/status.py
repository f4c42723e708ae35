"""A store's status, derived from what the cluster says and what this machine is doing.

`derive_status` decides in this order; the first rule that matches wins:

1. The cluster did not answer: Unknown.
2. The namespace is terminating, or a delete is running: Deleting. One that has been
   terminating for longer than STUCK_TERMINATING is Deleting with the reason "stuck
   terminating", what holds it (the namespace controller's conditions) and what to do.
3. A delete failed or was interrupted (release left `uninstalling`): Failed.
4. A problem the cluster shows now: a container that cannot pull its image, cannot be
   created, or keeps crashing; a controller refused a pod for quota; the setup Job failed:
   Failed. These win even while helm is still waiting, so the user learns early. Only a
   crash loop is tolerated while an operation runs, for fewer than CRASH_TOLERANCE
   restarts: a store's services start in any order and may crash until their database
   answers.
5. An operation (create, upgrade, ...) is running: Provisioning.
6. The release is missing, stuck in pending-*, or failed: Failed, with what to do. A
   failed release stays Failed even when its pods became ready later (e.g. after a helm
   timeout): Ready requires a deployed release, and re-running create records one.
7. The release is deployed, every long-running pod (at least one) is Ready and every
   Job is complete: Ready. The cluster is the source of truth: a failure this machine
   recorded earlier does not override a store that works now.
8. The last operation failed: Failed with its error.
9. Otherwise (deployed, pods still starting): Provisioning.

Long-running pods are the store's pods that are not owned by a Job, not being deleted
(an old replica on its way out) and not finished (Succeeded/Failed: e.g. evicted). A
Job's pods are not counted, but their container problems are reported. A container that
restarted and runs again does not fail a store (Ready mentions the restarts); one that
keeps crashing sits in CrashLoopBackOff, which does.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TypedDict

from storedesk.domain.models import (
    EventFact,
    JobFact,
    NamespaceFact,
    OperationFact,
    OperationKind,
    Phase,
    PodFact,
    ReleaseFact,
    StoreRecord,
    StoreStatus,
)
from storedesk.errors import NextStep

# A store namespace empties in seconds to a minute; past this, something holds it.
STUCK_TERMINATING = timedelta(minutes=5)
RETRY_OR_DELETE = (NextStep.RETRY_CREATE, NextStep.DELETE)
CRASH_TOLERANCE = 3  # restarts a crash-looping container gets while an operation runs
CATCH_UP = timedelta(seconds=30)  # how long after an operation its release may lag behind

# Waiting reasons the kubelet reports (pkg/kubelet/images, pkg/kubelet/container).
IMAGE_REASONS = frozenset(
    {
        "ErrImagePull",
        "ImagePullBackOff",
        "InvalidImageName",
        "ErrImageNeverPull",
        "ImageInspectError",
        "RegistryUnavailable",
        "SignatureValidationFailed",
    }
)
START_REASONS = frozenset(
    {"CreateContainerConfigError", "CreateContainerError", "RunContainerError"}
)
CRASH_REASON = "CrashLoopBackOff"
PENDING_RELEASE = ("pending-install", "pending-upgrade", "pending-rollback")
_FINISHED_PHASES = ("Succeeded", "Failed")

# What re-running create does with a release helm left pending (the provisioning service
# implements exactly this).
PENDING_FIX = {
    "pending-install": "Storedesk uninstalls the stuck release and installs it again, "
    "keeping the store's passwords",
    "pending-upgrade": "Storedesk rolls the release back to its last deployed revision, "
    "then upgrades it again",
    "pending-rollback": "Storedesk rolls the release back to its last deployed revision, "
    "then upgrades it again",
}


class _Counts(TypedDict):
    """A status's pod counts, passed on as keyword arguments."""

    pods_ready: int
    pods_total: int


def derive_status(
    namespace: NamespaceFact,
    pods: Sequence[PodFact],
    jobs: Sequence[JobFact],
    release: ReleaseFact | None,
    events: Sequence[EventFact],
    operation: OperationFact | None,
    *,
    now: datetime,
    reachable: bool = True,
) -> StoreStatus:
    """The status of one store (rules in this module's docstring)."""
    store, ns = namespace.store, namespace.name
    serving = _long_running(pods)
    counts: _Counts = {"pods_ready": sum(p.ready for p in serving), "pods_total": len(serving)}
    op = operation
    running = op is not None and op.running
    deleting = op is not None and op.kind == OperationKind.DELETE
    failed_op = op if op is not None and op.failed else None  # a None check narrows it

    def failed(
        reason: str, detail: str, fix: str, steps: tuple[NextStep, ...] = RETRY_OR_DELETE
    ) -> StoreStatus:
        return StoreStatus(Phase.FAILED, reason, detail, fix, next_steps=steps, **counts)

    if not reachable:
        return StoreStatus(
            Phase.UNKNOWN,
            "cluster unreachable",
            "the cluster's API server did not answer",
            "check that the cluster is running and reachable (network, VPN); "
            "the status updates when it answers",
            **counts,
        )
    if namespace.terminating:
        return _terminating(namespace, now, counts)
    if deleting and running:
        return StoreStatus(Phase.DELETING, None, "Storedesk is deleting the store", None, **counts)
    if deleting and failed_op:
        return failed(
            "delete failed",
            failed_op.error or "the last delete failed",
            "delete the store again",
            (NextStep.RETRY_DELETE,),
        )
    if release and release.status == "uninstalling":
        return failed(
            "delete interrupted",
            f"helm stopped while uninstalling release {release.name}",
            "delete the store again",
            (NextStep.RETRY_DELETE,),
        )

    problem = _cluster_problem(store, ns, pods, jobs, events, running)
    if problem:
        return failed(*problem)
    if running:
        return StoreStatus(
            Phase.PROVISIONING, None, _progress(serving, jobs, events, now), None, **counts
        )

    if _catching_up(op, release, now):
        return StoreStatus(
            Phase.PROVISIONING,
            None,
            "waiting for the cluster to report the new release",
            None,
            **counts,
        )
    retry = "retry the create, or delete the store"
    all_ready = bool(serving) and all(p.ready for p in serving)
    ready_note = "the store's pods are ready now" if all_ready else None
    status = release.status if release else None

    if release is not None and status in PENDING_RELEASE:
        return failed(
            f"stuck in {status}",
            _clauses(
                f"helm revision {release.revision} of release {release.name} is {status}, "
                "but no operation is running: helm was interrupted",
                f"last error: {failed_op.error}" if failed_op and failed_op.error else None,
            ),
            f"retry the create: {PENDING_FIX[status]}",
        )
    if status != "deployed" and failed_op:
        return failed(*_operation_failure(failed_op, events, now, ready_note), retry)
    if status in (None, "uninstalled"):
        return failed(
            "not installed",
            f"namespace {ns} has no helm release: a create was interrupted before helm "
            "ran, or the release was removed outside Storedesk",
            "retry the create to install it, or delete the store",
        )
    if release is not None and status != "deployed":  # a release, by the return above
        return failed(
            "helm error",
            _clauses(
                f"helm recorded revision {release.revision} of release {release.name} as {status}",
                ready_note,
            ),
            retry,
        )
    if all_ready and all(job.complete for job in jobs):
        return StoreStatus(Phase.READY, None, _restarts(serving), None, **counts)
    if failed_op:
        return failed(*_operation_failure(failed_op, events, now, None), retry)
    return StoreStatus(
        Phase.PROVISIONING, None, _progress(serving, jobs, events, now), None, **counts
    )


def _catching_up(op: OperationFact | None, release: ReleaseFact | None, now: datetime) -> bool:
    """An operation finished OK moments ago but the release record we see predates it.

    Watches deliver helm's final record a little after helm (and our lock) are done; until
    then the last record seen may still say pending-install, which is not a stuck release."""
    if (
        op is None
        or op.kind not in (OperationKind.CREATE, OperationKind.ROLLBACK)
        or op.running
        or op.failed
    ):
        return False
    if op.finished is None or now - op.finished > CATCH_UP:
        return False
    if release is None:
        return True
    return release.status in PENDING_RELEASE and (
        release.modified is None or release.modified <= op.finished
    )


def _long_running(pods: Sequence[PodFact]) -> list[PodFact]:
    """The pods that serve the store (see the module docstring)."""
    return [
        p
        for p in pods
        if p.owner_kind != "Job" and not p.deleting and p.phase not in _FINISHED_PHASES
    ]


def _cluster_problem(
    store: str,
    ns: str,
    pods: Sequence[PodFact],
    jobs: Sequence[JobFact],
    events: Sequence[EventFact],
    running: bool,
) -> tuple[str, str, str] | None:
    """(reason, detail, fix) of the first failure the cluster shows now, by rule 4."""
    retry = "retry the create, or delete the store"
    live = sorted(
        (p for p in pods if not p.deleting and p.phase not in _FINISHED_PHASES),
        key=lambda p: p.name,
    )
    containers = [(p, c) for p in live for c in p.containers]
    for pod, c in containers:
        if c.waiting_reason in IMAGE_REASONS:
            image = f"image {c.image}" if c.image else "its image"
            why = f": {c.waiting_message}" if c.waiting_message else ""
            return (
                c.waiting_reason,
                f"pod {pod.name}, container {c.name}: cannot pull {image}{why}",
                f"check that the image exists and the cluster can reach its registry, then {retry}",
            )
    for pod, c in containers:
        if c.waiting_reason in START_REASONS:
            why = f": {c.waiting_message}" if c.waiting_message else ""
            return (
                c.waiting_reason,
                f"pod {pod.name}, container {c.name} cannot start{why}",
                f"check what it names (`kubectl describe pod -n {ns} {pod.name}`), then {retry}",
            )
        if c.waiting_reason == CRASH_REASON and not (running and c.restarts < CRASH_TOLERANCE):
            last = f", last exit: {c.terminated_reason}" if c.terminated_reason else ""
            return (
                CRASH_REASON,
                f"pod {pod.name}, container {c.name} keeps crashing "
                f"(restarted {_times(c.restarts)}{last})",
                f"read its logs (`kubectl logs -n {ns} {pod.name} -c {c.name} --previous`), "
                f"then {retry}",
            )
    event = _newest(_quota_refusals(pods, events))
    if event:
        return (
            "quota exceeded",
            f"{event.involved_kind} {event.involved_name}: {event.message}",
            f"raise or free the namespace's ResourceQuota "
            f"(`kubectl describe resourcequota -n {ns}`), then {retry}",
        )
    for job in sorted(jobs, key=lambda j: j.name):
        if job.failed:
            why = ": ".join(x for x in (job.failure_reason, job.failure_message) if x)
            return (
                "setup job failed",
                f"job {job.name} failed" + (f": {why}" if why else ""),
                f"read its logs (`kubectl logs -n {ns} job/{job.name}`), then retry the create "
                "(Storedesk replaces the failed job), or delete the store",
            )
    return None


def _quota_refusals(pods: Sequence[PodFact], events: Sequence[EventFact]) -> list[EventFact]:
    """The quota refusals that still hold.

    A refusal is history once its controller has created a pod after it (the quota was
    raised or freed meanwhile): the event itself lingers for an hour.
    """
    return [
        e
        for e in events
        if e.reason == "FailedCreate"
        and "exceeded quota" in e.message.lower()
        and not any(
            p.owner_name == e.involved_name
            and p.created is not None
            and e.last_seen is not None
            and p.created > e.last_seen
            for p in pods
        )
    ]


def _newest(events: Sequence[EventFact]) -> EventFact | None:
    """The event seen last (undated ones count as oldest), or None."""
    dated = [(e.last_seen, e) for e in events if e.last_seen is not None]
    if dated:
        return max(dated, key=lambda seen: seen[0])[1]
    return events[-1] if events else None


def _operation_failure(
    op: OperationFact, events: Sequence[EventFact], now: datetime, ready_note: str | None
) -> tuple[str, str]:
    """(reason, detail) for a failed operation, from its recorded error."""
    error = op.error or f"the last {op.kind} failed"
    if "exceeded quota" in error.lower():
        reason = "quota exceeded"
    elif op.error_kind == "timeout":
        reason = "timeout"
    elif op.error_kind == "helm":
        reason = "helm error"
    elif op.error_kind == "interrupted":
        reason = f"{op.kind} interrupted"
    else:
        reason = f"{op.kind} failed"
    warning = _last_warning(events, now) if reason == "timeout" else None
    return reason, _clauses(error, ready_note, warning)


def _last_warning(events: Sequence[EventFact], now: datetime) -> str | None:
    """'last warning (2m ago): Kind name: Reason: message' for the newest Warning event."""
    e = _newest([e for e in events if e.type == "Warning"])
    if e is None:
        return None
    when = f" ({describe_age(e.last_seen, now)} ago)" if e.last_seen else ""
    return f"last warning{when}: {e.involved_kind} {e.involved_name}: {e.reason}: {e.message}"


def _progress(
    serving: Sequence[PodFact], jobs: Sequence[JobFact], events: Sequence[EventFact], now: datetime
) -> str:
    """What a Provisioning store is waiting for, in one line."""
    ready = sum(p.ready for p in serving)
    parts = [f"{ready}/{len(serving)} pods ready" if serving else "no pods yet"]
    waiting = [j.name for j in jobs if not j.complete and not j.failed]
    if waiting:
        parts.append(f"setup job {', '.join(sorted(waiting))} running")
    return _clauses(*parts, _last_warning(events, now))


def _restarts(serving: Sequence[PodFact]) -> str | None:
    """A note on pods that restarted (and run again), or None."""
    restarted = [
        f"pod {p.name} restarted {_times(p.restarts)}"
        for p in sorted(serving, key=lambda p: p.name)
        if p.restarts
    ]
    return ", ".join(restarted) or None


def _times(n: int) -> str:
    """'once', '3 times'."""
    return "once" if n == 1 else f"{n} times"


def _clauses(*parts: str | None) -> str:
    """The given parts as one detail line (None parts left out)."""
    return "; ".join(part.rstrip(".") for part in parts if part)


def describe_age(created: datetime | None, now: datetime) -> str:
    """A short age as kubectl prints it: 45s, 5m, 3h, 2d, 1y; '-' when unknown."""
    if created is None:
        return "-"
    seconds = int((now - created).total_seconds())
    if seconds < 60:
        return f"{max(seconds, 0)}s"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        return f"{seconds // 3600}h"
    if seconds < 365 * 86400:
        return f"{seconds // 86400}d"
    return f"{seconds // (365 * 86400)}y"


def status_text(status: StoreStatus) -> str:
    """The status column: 'Ready', 'Failed: ImagePullBackOff'."""
    return f"{status.phase.value}: {status.reason}" if status.reason else status.phase.value


TABLE_HEADER = ("NAME", "ENGINE", "STATUS", "PODS", "AGE", "URL")


def table_row(record: StoreRecord, now: datetime) -> tuple[str, ...]:
    """One row of `storedesk list`, matching TABLE_HEADER."""
    status = record.status
    return (
        record.name,
        record.engine,
        status_text(status),
        f"{status.pods_ready}/{status.pods_total}",
        describe_age(record.created, now),
        record.url or "-",
    )


def _terminating(namespace: NamespaceFact, now: datetime, counts: _Counts) -> StoreStatus:
    """Deleting; with what holds the namespace when it is stuck."""
    ns = namespace.name
    since = namespace.deleting_since
    waited = now - since if since is not None else timedelta(0)
    # Content and finalizers remain for a moment in every delete (pods stopping, volume
    # protection): only time tells a namespace that is held from one that is emptying.
    if waited < STUCK_TERMINATING:
        return StoreStatus(Phase.DELETING, None, f"namespace {ns} is terminating", None, **counts)
    held = namespace.held_by or "the cluster does not say what holds it"
    minutes = int(waited.total_seconds() // 60)
    return StoreStatus(
        Phase.DELETING,
        "stuck terminating",
        f"namespace {ns} has been terminating for {minutes} min: {held}",
        "a finalizer names a controller that has to finish first: start that controller "
        "again, or remove the finalizer from the objects it names (`kubectl get all -n "
        f"{ns}`, then `kubectl patch` their metadata.finalizers)",
        **counts,
    )
