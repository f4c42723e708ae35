"""Status derivation: each situation a user can meet, and exactly what they are told."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from storedesk.domain.models import (
    ContainerFact,
    EventFact,
    JobFact,
    NamespaceFact,
    OperationFact,
    Phase,
    PodFact,
    ReleaseFact,
    StoreStatus,
)
from storedesk.domain.status import derive_status
from storedesk.errors import NextStep

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
T0 = NOW - timedelta(minutes=10)  # when the store's objects were created

NS = NamespaceFact("store-shop", "shop", "woocommerce", created=T0)
WP_RS = "shop-wordpress-6d4cf56db6"
WP = PodFact(
    f"{WP_RS}-x2x7k",
    "store-shop",
    "shop",
    "Running",
    True,
    (ContainerFact("wordpress", True, image="wordpress:6.8-apache"),),
    "ReplicaSet",
    WP_RS,
    created=T0,
)
DB = PodFact(
    "shop-mysql-0",
    "store-shop",
    "shop",
    "Running",
    True,
    (ContainerFact("mysql", True, image="mysql:8.4"),),
    "StatefulSet",
    "shop-mysql",
    created=T0,
)
SETUP_DONE = PodFact(
    "shop-setup-4kq9z",
    "store-shop",
    "shop",
    "Succeeded",
    False,
    (ContainerFact("setup", False, terminated_reason="Completed", image="wordpress:cli"),),
    "Job",
    "shop-setup",
    created=T0,
)
JOB_DONE = JobFact("shop-setup", "store-shop", "shop", complete=True, failed=False)
JOB_RUNNING = replace(JOB_DONE, complete=False)
JOB_FAILED = replace(
    JOB_DONE,
    complete=False,
    failed=True,
    failure_reason="BackoffLimitExceeded",
    failure_message="Job has reached the specified backoff limit",
)
DEPLOYED = ReleaseFact("shop", "store-shop", 1, "deployed")
CREATING = OperationFact("create", running=True)
TIMED_OUT = OperationFact(
    "create",
    running=False,
    failed=True,
    error="helm timed out waiting for the store's resources after 10m0s",
    error_kind="timeout",
)


def waiting(pod: PodFact, reason: str, message: str | None = None, **kw: object) -> PodFact:
    """`pod` not ready, its container waiting for `reason`."""
    container = replace(
        pod.containers[0], ready=False, waiting_reason=reason, waiting_message=message, **kw
    )
    return replace(pod, ready=False, phase="Pending", containers=(container,))


def warning(kind: str, name: str, reason: str, message: str, seen: datetime) -> EventFact:
    return EventFact("store-shop", kind, name, reason, message, "Warning", last_seen=seen)


QUOTA_MESSAGE = (
    f'Error creating: pods "{WP_RS}-4fs9b" is forbidden: exceeded quota: store-quota, '
    "requested: pods=1, used: pods=2, limited: pods=2"
)
QUOTA_EVENT = warning(
    "ReplicaSet", WP_RS, "FailedCreate", QUOTA_MESSAGE, NOW - timedelta(seconds=30)
)
SCHEDULING = warning(
    "Pod",
    "shop-mysql-0",
    "FailedScheduling",
    "0/1 nodes are available: 1 Insufficient memory.",
    NOW - timedelta(minutes=2),
)
PULL_MESSAGE = (
    'Back-off pulling image "wordpress:6.8-apache": ErrImagePull: failed to pull and unpack image'
)

RETRY = "retry the create, or delete the store"
CLUSTER_RETRY = "retry the create, or delete the store"

CASES = {
    # --- Ready -------------------------------------------------------------------------
    "every pod ready, setup job complete, release deployed": (
        dict(pods=[WP, DB, SETUP_DONE], jobs=[JOB_DONE], release=DEPLOYED),
        StoreStatus(Phase.READY, pods_ready=2, pods_total=2),
    ),
    "a job removed after success (hook or TTL) does not hold Ready back": (
        dict(pods=[WP, DB], jobs=[], release=DEPLOYED),
        StoreStatus(Phase.READY, pods_ready=2, pods_total=2),
    ),
    "restarts that recovered are mentioned, not failed": (
        dict(
            pods=[replace(WP, containers=(replace(WP.containers[0], restarts=1),)), DB],
            jobs=[JOB_DONE],
            release=DEPLOYED,
        ),
        StoreStatus(
            Phase.READY,
            detail=f"pod {WP_RS}-x2x7k restarted once",
            pods_ready=2,
            pods_total=2,
        ),
    ),
    "the cluster wins over an earlier local failure": (
        dict(pods=[WP, DB], jobs=[JOB_DONE], release=DEPLOYED, operation=TIMED_OUT),
        StoreStatus(Phase.READY, pods_ready=2, pods_total=2),
    ),
    "an old replica on its way out is not counted": (
        dict(
            pods=[WP, DB, replace(waiting(WP, "ImagePullBackOff"), name="old", deleting=True)],
            jobs=[JOB_DONE],
            release=DEPLOYED,
        ),
        StoreStatus(Phase.READY, pods_ready=2, pods_total=2),
    ),
    "an evicted pod (phase Failed) is not counted": (
        dict(
            pods=[WP, DB, replace(WP, name="evicted", phase="Failed", ready=False)],
            jobs=[JOB_DONE],
            release=DEPLOYED,
        ),
        StoreStatus(Phase.READY, pods_ready=2, pods_total=2),
    ),
    "a quota refusal from before the pod was created is history": (
        dict(
            pods=[WP, DB],
            jobs=[JOB_DONE],
            release=DEPLOYED,
            events=[replace(QUOTA_EVENT, last_seen=T0 - timedelta(minutes=1))],
        ),
        StoreStatus(Phase.READY, pods_ready=2, pods_total=2),
    ),
    # --- Provisioning ------------------------------------------------------------------
    "create just started: no release, no pods": (
        dict(operation=CREATING),
        StoreStatus(Phase.PROVISIONING, detail="no pods yet"),
    ),
    "create running, pods starting, setup job running": (
        dict(
            pods=[waiting(WP, "ContainerCreating"), waiting(DB, "ContainerCreating")],
            jobs=[JOB_RUNNING],
            release=replace(DEPLOYED, status="pending-install"),
            operation=CREATING,
        ),
        StoreStatus(
            Phase.PROVISIONING,
            detail="0/2 pods ready; setup job shop-setup running",
            pods_total=2,
        ),
    ),
    "an operation still running is Provisioning even when all is ready": (
        dict(pods=[WP, DB], jobs=[JOB_DONE], release=DEPLOYED, operation=CREATING),
        StoreStatus(Phase.PROVISIONING, detail="2/2 pods ready", pods_ready=2, pods_total=2),
    ),
    "a crash while the database starts is tolerated during the operation": (
        dict(
            pods=[waiting(WP, "CrashLoopBackOff", restarts=2), DB],
            jobs=[JOB_RUNNING],
            release=replace(DEPLOYED, status="pending-install"),
            operation=CREATING,
        ),
        StoreStatus(
            Phase.PROVISIONING,
            detail="1/2 pods ready; setup job shop-setup running",
            pods_ready=1,
            pods_total=2,
        ),
    ),
    "deployed without waiting: pods still starting, with the last warning": (
        dict(
            pods=[WP, waiting(DB, "ContainerCreating")],
            jobs=[JOB_RUNNING],
            release=DEPLOYED,
            events=[SCHEDULING],
        ),
        StoreStatus(
            Phase.PROVISIONING,
            detail="1/2 pods ready; setup job shop-setup running; last warning (2m ago): "
            "Pod shop-mysql-0: FailedScheduling: 0/1 nodes are available: 1 Insufficient memory",
            pods_ready=1,
            pods_total=2,
        ),
    ),
    "deployed but no pods at all is not Ready": (
        dict(release=DEPLOYED),
        StoreStatus(Phase.PROVISIONING, detail="no pods yet"),
    ),
    # --- Failed: what the cluster shows ------------------------------------------------
    "image pull back-off, even while helm still waits": (
        dict(
            pods=[waiting(WP, "ImagePullBackOff", PULL_MESSAGE), DB],
            jobs=[JOB_RUNNING],
            release=replace(DEPLOYED, status="pending-install"),
            operation=CREATING,
        ),
        StoreStatus(
            Phase.FAILED,
            "ImagePullBackOff",
            f"pod {WP_RS}-x2x7k, container wordpress: cannot pull image wordpress:6.8-apache: "
            + PULL_MESSAGE,
            "check that the image exists and the cluster can reach its registry, then "
            + CLUSTER_RETRY,
            pods_ready=1,
            pods_total=2,
        ),
    ),
    "image pull error in the setup job's pod": (
        dict(
            pods=[WP, DB, waiting(SETUP_DONE, "ErrImagePull", image="")],
            jobs=[JOB_RUNNING],
            release=DEPLOYED,
        ),
        StoreStatus(
            Phase.FAILED,
            "ErrImagePull",
            "pod shop-setup-4kq9z, container setup: cannot pull its image",
            "check that the image exists and the cluster can reach its registry, then "
            + CLUSTER_RETRY,
            pods_ready=2,
            pods_total=2,
        ),
    ),
    "crash loop with no operation running": (
        dict(
            pods=[WP, waiting(DB, "CrashLoopBackOff", restarts=1, terminated_reason="Error")],
            jobs=[JOB_DONE],
            release=DEPLOYED,
        ),
        StoreStatus(
            Phase.FAILED,
            "CrashLoopBackOff",
            "pod shop-mysql-0, container mysql keeps crashing (restarted once, last exit: Error)",
            "read its logs (`kubectl logs -n store-shop shop-mysql-0 -c mysql --previous`), "
            "then " + CLUSTER_RETRY,
            pods_ready=1,
            pods_total=2,
        ),
    ),
    "crash loop past the tolerance while the operation runs": (
        dict(
            pods=[WP, waiting(DB, "CrashLoopBackOff", restarts=3, terminated_reason="OOMKilled")],
            jobs=[JOB_RUNNING],
            release=replace(DEPLOYED, status="pending-install"),
            operation=CREATING,
        ),
        StoreStatus(
            Phase.FAILED,
            "CrashLoopBackOff",
            "pod shop-mysql-0, container mysql keeps crashing (restarted 3 times, "
            "last exit: OOMKilled)",
            "read its logs (`kubectl logs -n store-shop shop-mysql-0 -c mysql --previous`), "
            "then " + CLUSTER_RETRY,
            pods_ready=1,
            pods_total=2,
        ),
    ),
    "a container that cannot be created": (
        dict(
            pods=[
                waiting(
                    WP,
                    "CreateContainerConfigError",
                    "couldn't find key admin-password in Secret store-shop/shop-credentials",
                ),
                DB,
            ],
            jobs=[JOB_RUNNING],
            release=DEPLOYED,
        ),
        StoreStatus(
            Phase.FAILED,
            "CreateContainerConfigError",
            f"pod {WP_RS}-x2x7k, container wordpress cannot start: couldn't find key "
            "admin-password in Secret store-shop/shop-credentials",
            f"check what it names (`kubectl describe pod -n store-shop {WP_RS}-x2x7k`), then "
            + CLUSTER_RETRY,
            pods_ready=1,
            pods_total=2,
        ),
    ),
    "quota refuses the wordpress pod": (
        dict(
            pods=[DB],
            jobs=[JOB_RUNNING],
            release=replace(DEPLOYED, status="pending-install"),
            events=[SCHEDULING, QUOTA_EVENT],
            operation=CREATING,
        ),
        StoreStatus(
            Phase.FAILED,
            "quota exceeded",
            f"ReplicaSet {WP_RS}: {QUOTA_MESSAGE}",
            "raise or free the namespace's ResourceQuota "
            "(`kubectl describe resourcequota -n store-shop`), then " + CLUSTER_RETRY,
            pods_ready=1,
            pods_total=1,
        ),
    ),
    "quota refusal explains a helm timeout": (
        dict(
            pods=[DB], jobs=[JOB_RUNNING], release=None, events=[QUOTA_EVENT], operation=TIMED_OUT
        ),
        StoreStatus(
            Phase.FAILED,
            "quota exceeded",
            f"ReplicaSet {WP_RS}: {QUOTA_MESSAGE}",
            "raise or free the namespace's ResourceQuota "
            "(`kubectl describe resourcequota -n store-shop`), then " + CLUSTER_RETRY,
            pods_ready=1,
            pods_total=1,
        ),
    ),
    "setup job failed": (
        dict(pods=[WP, DB], jobs=[JOB_FAILED], release=DEPLOYED),
        StoreStatus(
            Phase.FAILED,
            "setup job failed",
            "job shop-setup failed: BackoffLimitExceeded: Job has reached the specified "
            "backoff limit",
            "read its logs (`kubectl logs -n store-shop job/shop-setup`), then retry the "
            "create (Storedesk replaces the failed job), or delete the store",
            pods_ready=2,
            pods_total=2,
        ),
    ),
    # --- Failed: what helm and the last operation say ----------------------------------
    "helm timed out; the last warning says why": (
        dict(
            pods=[WP, waiting(DB, "ContainerCreating")],
            jobs=[JOB_RUNNING],
            release=replace(DEPLOYED, status="failed"),
            events=[SCHEDULING],
            operation=TIMED_OUT,
        ),
        StoreStatus(
            Phase.FAILED,
            "timeout",
            "helm timed out waiting for the store's resources after 10m0s; last warning "
            "(2m ago): Pod shop-mysql-0: FailedScheduling: 0/1 nodes are available: "
            "1 Insufficient memory",
            RETRY,
            pods_ready=1,
            pods_total=2,
        ),
    ),
    "helm timed out but the pods came up later: re-run create to record it": (
        dict(
            pods=[WP, DB],
            jobs=[JOB_DONE],
            release=replace(DEPLOYED, status="failed"),
            operation=TIMED_OUT,
        ),
        StoreStatus(
            Phase.FAILED,
            "timeout",
            "helm timed out waiting for the store's resources after 10m0s; "
            "the store's pods are ready now",
            RETRY,
            pods_ready=2,
            pods_total=2,
        ),
    ),
    "helm rolled the failed install back (atomic): no release, operation failed": (
        dict(
            operation=OperationFact(
                "create",
                running=False,
                failed=True,
                error="helm: INSTALLATION FAILED: context deadline exceeded",
                error_kind="helm",
            )
        ),
        StoreStatus(
            Phase.FAILED,
            "helm error",
            "helm: INSTALLATION FAILED: context deadline exceeded",
            RETRY,
        ),
    ),
    "helm itself refused by quota": (
        dict(
            operation=OperationFact(
                "create",
                running=False,
                failed=True,
                error='persistentvolumeclaims "data-shop-mysql-0" is forbidden: exceeded quota: '
                "storage, requested: requests.storage=8Gi, used: requests.storage=0, "
                "limited: requests.storage=1Gi",
                error_kind="helm",
            )
        ),
        StoreStatus(
            Phase.FAILED,
            "quota exceeded",
            'persistentvolumeclaims "data-shop-mysql-0" is forbidden: exceeded quota: storage, '
            "requested: requests.storage=8Gi, used: requests.storage=0, "
            "limited: requests.storage=1Gi",
            RETRY,
        ),
    ),
    "an operation failed for another cause": (
        dict(
            operation=OperationFact(
                "create", running=False, failed=True, error=None, error_kind="cluster"
            )
        ),
        StoreStatus(Phase.FAILED, "create failed", "the last create failed", RETRY),
    ),
    "an upgrade failed and the pods are no longer all ready": (
        dict(
            pods=[WP, waiting(DB, "ContainerCreating")],
            jobs=[JOB_DONE],
            release=DEPLOYED,
            operation=replace(TIMED_OUT, kind="upgrade"),
        ),
        StoreStatus(
            Phase.FAILED,
            "timeout",
            "helm timed out waiting for the store's resources after 10m0s",
            RETRY,
            pods_ready=1,
            pods_total=2,
        ),
    ),
    "release recorded as failed, no local record of why": (
        dict(
            pods=[WP, DB], jobs=[JOB_DONE], release=replace(DEPLOYED, revision=2, status="failed")
        ),
        StoreStatus(
            Phase.FAILED,
            "helm error",
            "helm recorded revision 2 of release shop as failed; the store's pods are ready now",
            RETRY,
            pods_ready=2,
            pods_total=2,
        ),
    ),
    "a create interrupted before helm ran": (
        dict(),
        StoreStatus(
            Phase.FAILED,
            "not installed",
            "namespace store-shop has no helm release: a create was interrupted before helm "
            "ran, or the release was removed outside Storedesk",
            "retry the create to install it, or delete the store",
        ),
    ),
    "stuck in pending-install with nothing running": (
        dict(pods=[WP, DB], jobs=[JOB_DONE], release=replace(DEPLOYED, status="pending-install")),
        StoreStatus(
            Phase.FAILED,
            "stuck in pending-install",
            "helm revision 1 of release shop is pending-install, but no operation is running: "
            "helm was interrupted",
            "retry the create: Storedesk uninstalls the stuck release and "
            "installs it again, keeping the store's passwords",
            pods_ready=2,
            pods_total=2,
        ),
    ),
    "stuck in pending-upgrade after a failed operation": (
        dict(
            pods=[WP, DB],
            jobs=[JOB_DONE],
            release=replace(DEPLOYED, revision=3, status="pending-upgrade"),
            operation=OperationFact(
                "create", running=False, failed=True, error="helm was killed", error_kind="helm"
            ),
        ),
        StoreStatus(
            Phase.FAILED,
            "stuck in pending-upgrade",
            "helm revision 3 of release shop is pending-upgrade, but no operation is running: "
            "helm was interrupted; last error: helm was killed",
            "retry the create: Storedesk rolls the release back to its last "
            "deployed revision, then upgrades it again",
            pods_ready=2,
            pods_total=2,
        ),
    ),
    "stuck in pending-rollback": (
        dict(release=replace(DEPLOYED, revision=4, status="pending-rollback")),
        StoreStatus(
            Phase.FAILED,
            "stuck in pending-rollback",
            "helm revision 4 of release shop is pending-rollback, but no operation is running: "
            "helm was interrupted",
            "retry the create: Storedesk rolls the release back to its last "
            "deployed revision, then upgrades it again",
        ),
    ),
    # --- Deleting and delete failures --------------------------------------------------
    "namespace terminating wins over everything but unreachability": (
        dict(
            namespace=replace(NS, terminating=True),
            pods=[waiting(WP, "ImagePullBackOff")],
            operation=CREATING,
        ),
        StoreStatus(Phase.DELETING, detail="namespace store-shop is terminating", pods_total=1),
    ),
    "a delete running": (
        dict(pods=[WP, DB], release=DEPLOYED, operation=OperationFact("delete", running=True)),
        StoreStatus(
            Phase.DELETING, detail="Storedesk is deleting the store", pods_ready=2, pods_total=2
        ),
    ),
    "a delete that failed": (
        dict(
            pods=[WP, DB],
            release=DEPLOYED,
            operation=OperationFact(
                "delete",
                running=False,
                failed=True,
                error="the namespace store-shop is still terminating after 5m0s",
                error_kind="timeout",
            ),
        ),
        StoreStatus(
            Phase.FAILED,
            "delete failed",
            "the namespace store-shop is still terminating after 5m0s",
            "delete the store again",
            pods_ready=2,
            pods_total=2,
        ),
    ),
    "helm left uninstalling": (
        dict(pods=[WP], release=replace(DEPLOYED, status="uninstalling")),
        StoreStatus(
            Phase.FAILED,
            "delete interrupted",
            "helm stopped while uninstalling release shop",
            "delete the store again",
            pods_ready=1,
            pods_total=1,
        ),
    ),
}


@pytest.mark.parametrize(("facts", "expected"), CASES.values(), ids=CASES.keys())
def test_derive_status(facts: dict, expected: StoreStatus) -> None:
    args = {
        "namespace": NS,
        "pods": [],
        "jobs": [],
        "release": None,
        "events": [],
        "operation": None,
    }
    args |= facts
    assert derive_status(**args, now=NOW) == with_next_steps(expected)


def with_next_steps(expected: StoreStatus) -> StoreStatus:
    """Every Failed store offers a way forward: delete again after a failed delete, else
    retry the create or delete the store."""
    if expected.phase != Phase.FAILED:
        return expected
    deleting = expected.fix == "delete the store again"
    steps = (NextStep.RETRY_DELETE,) if deleting else (NextStep.RETRY_CREATE, NextStep.DELETE)
    return replace(expected, next_steps=steps)


def test_unreachable_cluster_is_unknown_whatever_the_last_facts_say() -> None:
    status = derive_status(
        replace(NS, terminating=True),
        [WP, DB],
        [JOB_DONE],
        DEPLOYED,
        [],
        CREATING,
        now=NOW,
        reachable=False,
    )
    assert status == StoreStatus(
        Phase.UNKNOWN,
        "cluster unreachable",
        "the cluster's API server did not answer",
        "check that the cluster is running and reachable (network, VPN); "
        "the status updates when it answers",
        pods_ready=2,
        pods_total=2,
    )


def test_a_newer_quota_refusal_still_counts_after_an_older_pod() -> None:
    # The ReplicaSet made one pod at T0, and is refused a second one now.
    status = derive_status(NS, [WP, DB], [JOB_DONE], DEPLOYED, [QUOTA_EVENT], None, now=NOW)
    assert (status.phase, status.reason) == (Phase.FAILED, "quota exceeded")


def test_the_newest_quota_refusal_is_shown() -> None:
    older = replace(QUOTA_EVENT, involved_name="shop-mysql", message="older", last_seen=T0)
    status = derive_status(NS, [], [], None, [QUOTA_EVENT, older], CREATING, now=NOW)
    assert status.detail == f"ReplicaSet {WP_RS}: {QUOTA_MESSAGE}"


def test_image_problems_come_before_crashes_and_pods_are_taken_by_name() -> None:
    crash = waiting(DB, "CrashLoopBackOff", restarts=9)
    pull_b = replace(waiting(WP, "ImagePullBackOff"), name="shop-wordpress-b")
    pull_a = replace(waiting(WP, "ErrImagePull"), name="shop-wordpress-a")
    status = derive_status(NS, [crash, pull_b, pull_a], [], DEPLOYED, [], None, now=NOW)
    assert (status.reason, status.detail) == (
        "ErrImagePull",
        "pod shop-wordpress-a, container wordpress: cannot pull image wordpress:6.8-apache",
    )


def test_a_release_record_older_than_a_finished_create_is_not_stuck() -> None:
    # The watch delivers helm's "deployed" record a moment after create returned.
    done = OperationFact("create", running=False, finished=NOW - timedelta(seconds=2))
    lagging = ReleaseFact(
        "shop", "store-shop", 1, "pending-install", modified=NOW - timedelta(seconds=5)
    )
    status = derive_status(NS, [WP, DB], [], lagging, [], done, now=NOW)
    assert (status.phase, status.detail) == (
        Phase.PROVISIONING,
        "waiting for the cluster to report the new release",
    )
    assert derive_status(NS, [WP, DB], [], None, [], done, now=NOW).phase == Phase.PROVISIONING


def test_a_pending_release_long_after_the_create_is_stuck() -> None:
    done = OperationFact("create", running=False, finished=NOW - timedelta(minutes=5))
    stuck = ReleaseFact(
        "shop", "store-shop", 1, "pending-install", modified=NOW - timedelta(minutes=6)
    )
    status = derive_status(NS, [WP, DB], [], stuck, [], done, now=NOW)
    assert (status.phase, status.reason) == (Phase.FAILED, "stuck in pending-install")


def test_a_namespace_emptying_for_a_moment_is_plain_deleting() -> None:
    held = "Some content in the namespace has finalizers remaining: kubernetes.io/pvc-protection"
    emptying = replace(
        NS, terminating=True, deleting_since=NOW - timedelta(seconds=20), held_by=held
    )
    status = derive_status(emptying, [], [], None, [], None, now=NOW)
    assert (status.phase, status.reason) == (Phase.DELETING, None)


def test_a_namespace_terminating_for_long_says_it_is_stuck_and_what_holds_it() -> None:
    held = "Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances"
    stuck = replace(NS, terminating=True, deleting_since=NOW - timedelta(minutes=12), held_by=held)
    status = derive_status(stuck, [], [], None, [], None, now=NOW)
    assert (status.phase, status.reason) == (Phase.DELETING, "stuck terminating")
    assert status.detail == f"namespace store-shop has been terminating for 12 min: {held}"
    assert "remove the finalizer" in status.fix
    silent = replace(stuck, held_by=None)
    status = derive_status(silent, [], [], None, [], None, now=NOW)
    assert status.reason == "stuck terminating"
    assert "the cluster does not say what holds it" in status.detail


def test_an_interrupted_create_says_it_was_interrupted() -> None:
    stopped = OperationFact(
        "create",
        running=False,
        failed=True,
        error="interrupted by SIGINT; stopped",
        error_kind="interrupted",
        finished=NOW - timedelta(minutes=5),
    )
    status = derive_status(NS, [], [], None, [], stopped, now=NOW)
    assert (status.phase, status.reason) == (Phase.FAILED, "create interrupted")
    assert status.next_steps == (NextStep.RETRY_CREATE, NextStep.DELETE)
