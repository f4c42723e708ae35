"""While helm runs, watch the store being created and stop helm once the cluster shows it
failed, rather than wait out helm's timeout with the store's lock held."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from storedesk.cluster import facts as convert
from storedesk.cluster.kube import EVENTS, JOBS, PODS
from storedesk.domain.engines import Engine
from storedesk.domain.models import (
    STORE_LABEL,
    NamespaceFact,
    OperationFact,
    OperationKind,
    Phase,
    PodFact,
    StoreStatus,
    store_namespace,
)
from storedesk.domain.status import derive_status
from storedesk.errors import Cancelled, OperationFailed, StoredeskError

if TYPE_CHECKING:
    from storedesk.provisioning.service import StoreService

FAIL_FAST_EVERY = 2.0  # seconds between status checks while helm runs
# Seconds helm runs before pods from an earlier attempt count: a rollout that replaces them
# starts new pods well within this on any cluster we know.
FAIL_FAST_SETTLE = 10.0


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
            OperationFact(OperationKind.CREATE, running=True),
            now=datetime.now(UTC),
        )


def _workload(pod: PodFact) -> tuple[str | None, str | None]:
    """The workload a pod belongs to: a ReplicaSet's pods by their Deployment (its name
    less the template hash), so a rollout's new pods replace the old ones."""
    if pod.owner_kind == "ReplicaSet" and pod.owner_name:
        return ("Deployment", pod.owner_name.rsplit("-", 1)[0])
    return (pod.owner_kind, pod.owner_name)
