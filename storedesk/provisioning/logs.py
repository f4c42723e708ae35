"""A store's pod logs: the last lines of one container, as `kubectl logs --tail` reads them.

Read on request only (the window's Logs tab, while it is shown): one API call per read.
When the cluster has no log to give (a container still waiting to start, a previous run
that never was), what it said is returned as the log's `problem`, in its own words, so
the reader sees why instead of an empty page.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import quote

from storedesk.domain.models import PodFact, store_namespace
from storedesk.domain.names import validate_store_name
from storedesk.domain.status import CRASH_REASON, IMAGE_REASONS, START_REASONS
from storedesk.errors import Forbidden, OperationFailed

if TYPE_CHECKING:
    from storedesk.provisioning.service import StoreService

DEFAULT_TAIL = 200
MAX_TAIL = 10_000
LOG_TIMEOUT = 15.0  # seconds: a log read is one request, larger than most
FAILING_REASONS = IMAGE_REASONS | START_REASONS | {CRASH_REASON}


@dataclass(frozen=True)
class LogRequest:
    """Which container's log, and how much of it."""

    store: str
    pod: str
    container: str
    tail: int = DEFAULT_TAIL
    previous: bool = False  # the run before the last restart (a crash loop's last words)


@dataclass(frozen=True)
class PodLog:
    """A log as read: its text, or why the cluster gave none."""

    request: LogRequest
    text: str
    problem: str | None = None
    read_at: datetime | None = None

    @property
    def lines(self) -> list[str]:
        """The log's lines."""
        return self.text.splitlines()


def failing_container(pods: Sequence[PodFact]) -> tuple[str, str] | None:
    """(pod, container) of the first container that keeps the store from running: one
    that cannot pull or start, crash-loops, or exited with an error; else None."""
    live = sorted((p for p in pods if not p.deleting), key=lambda p: p.name)
    for pod in live:
        for container in pod.containers:
            if container.waiting_reason in FAILING_REASONS:
                return pod.name, container.name
    for pod in live:
        for container in pod.containers:
            if container.terminated_reason and container.terminated_reason != "Completed":
                return pod.name, container.name
    return None


def read_log(service: StoreService, request: LogRequest) -> PodLog:
    """The last `request.tail` lines of the container (blocking: call it on a worker).
    ClusterUnreachable when the cluster does not answer; a refusal becomes `problem`."""
    store = validate_store_name(request.store)
    tail = max(1, min(MAX_TAIL, request.tail))
    path = f"/api/v1/namespaces/{store_namespace(store)}/pods/{quote(request.pod, safe='')}/log"
    query = {
        "container": request.container,
        "tailLines": str(tail),
        "previous": "true" if request.previous else None,
    }
    try:
        text = service.kube.text(path, query=query, timeout=LOG_TIMEOUT)
    except (OperationFailed, Forbidden) as e:
        return PodLog(request, "", problem=_refusal(e.message), read_at=datetime.now(UTC))
    return PodLog(request, text, read_at=datetime.now(UTC))


def _refusal(message: str) -> str:
    """The cluster's words, without our request line in front of them."""
    return re.sub(r"^GET \S+ failed \(\d+\): ", "", message)
