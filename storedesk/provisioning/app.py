"""The application's face: what the window and the CLI both use, and nothing else below.

- contexts: the kubeconfig's contexts;
- connect: kubeconfig, context and environment to a ready StoreService;
- the demo cluster (storedesk.provisioning.demo);
- the create queue shared by every front that starts many creates at once;
- the row a create shows before the cluster lists the store.

The fronts render the outcomes (records, typed next steps, errors) in their own words.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from storedesk.cluster.kubeconfig import ContextInfo
from storedesk.domain.models import Phase, StoreRecord, StoreStatus, store_namespace

if TYPE_CHECKING:
    from storedesk.provisioning.service import StoreService

# The window imports this module before it shows: what it needs of the engine (the
# service, the kubernetes client, helm, the keyring) is imported when first used, on a
# worker, so the window opens as fast as before.

__all__ = ["ContextInfo", "CreateQueue", "connect", "contexts", "pending_record"]

# Creates a front works on at once; the rest wait their turn (their rows show at once).
# helm runs at most STOREDESK_HELM_CONCURRENCY processes anyway: more Python threads
# working in parallel only compete with the window's GUI thread for the interpreter.
CREATES_AT_ONCE = 4


def contexts(kubeconfig: str | None, env: Mapping[str, str] = os.environ) -> list[ContextInfo]:
    """The contexts of the kubeconfig (`--kubeconfig`, KUBECONFIG merged, or the default)."""
    from storedesk.cluster.kubeconfig import list_contexts

    return list_contexts(kubeconfig, env)


def connect(
    kubeconfig: str | None,
    context: str | None,
    env: Mapping[str, str] = os.environ,
    *,
    data_dir: Path | None = None,
    timeout: float | None = None,
) -> StoreService:
    """A StoreService for `context` of `kubeconfig` (the current context when None).
    Reads files only; the cluster is asked nothing until the service is used."""
    from storedesk.cluster.kubeconfig import resolve_target
    from storedesk.provisioning.service import Settings, StoreService

    target = resolve_target(kubeconfig, context, env)
    settings = Settings() if data_dir is None else Settings(data_dir=data_dir)
    if timeout is not None:
        settings = Settings(data_dir=settings.data_dir, timeout=timeout)
    return StoreService(target, settings=settings)


class CreateQueue:
    """Starts at most `size` creates at once; the others wait their turn holding no
    thread, and one dropped while waiting never starts (nothing changes). Used from one
    thread (the window's GUI thread): starting a create only starts its worker."""

    def __init__(self, size: int = CREATES_AT_ONCE) -> None:
        self.size = size
        self._running = 0
        self._waiting: deque[tuple[Callable[[], None], Callable[[], None]]] = deque()

    def submit(self, start: Callable[[], None], dropped: Callable[[], None]) -> None:
        """Call `start` now if a slot is free, else once one is; `dropped` if it never
        starts (drop_waiting)."""
        self._waiting.append((start, dropped))
        self._start_next()

    def finished(self) -> None:
        """A started create ended: the next one waiting starts."""
        self._running -= 1
        self._start_next()

    def drop_waiting(self) -> None:
        """Forget every create still waiting (each hears `dropped`)."""
        waiting, self._waiting = self._waiting, deque()
        for _, dropped in waiting:
            dropped()

    @property
    def waiting(self) -> int:
        """Creates waiting their turn."""
        return len(self._waiting)

    def _start_next(self) -> None:
        while self._waiting and self._running < self.size:
            start, _ = self._waiting.popleft()
            self._running += 1
            start()


def pending_record(name: str, engine: str, options: Mapping[str, object]) -> StoreRecord:
    """The row a create shows before the cluster lists the store."""
    from storedesk.provisioning.engines import engines

    chosen = engines().get(engine)
    return StoreRecord(
        name=name,
        engine=chosen.name,
        namespace=store_namespace(name),
        status=StoreStatus(Phase.PROVISIONING, detail="starting: namespace, credentials, helm"),
        url=chosen.store_url(name, options),
        admin_url=chosen.admin_url(name, options),
        created=datetime.now(UTC),
    )
