"""Creating stores the way the window does: StoreService.create on worker threads, one per
store, all at once; the status comes from the StatusMonitor (see observe.Follower)."""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from storedesk.cluster.helm import HelmRunner
from storedesk.cluster.kubeconfig import ClusterTarget
from storedesk.provisioning.service import Settings, StoreService

TIMEOUT = 300.0


def service_for(kubeconfig: Path, context: str, helm: Path, data_dir: Path) -> StoreService:
    """The app's StoreService on that cluster, running that helm binary."""
    target = ClusterTarget((kubeconfig,), context)
    runner = HelmRunner(target, env={**os.environ, "STOREDESK_HELM": str(helm)})
    return StoreService(target, settings=Settings(data_dir=data_dir, timeout=TIMEOUT), helm=runner)


@dataclass
class Batch:
    """What a batch of concurrent creates did."""

    started: float = 0.0  # time.monotonic()
    returned: dict[str, float] = field(default_factory=dict)  # seconds from `started`
    errors: dict[str, str] = field(default_factory=dict)


def create_at_once(service: StoreService, names: list[str], use_keyring: bool) -> Batch:
    """Start one create per store on its own thread, together; wait for every one to return."""
    batch = Batch()
    gate = threading.Barrier(len(names) + 1)
    lock = threading.Lock()

    def create(name: str) -> None:
        gate.wait()
        try:
            service.create(name, use_keyring=use_keyring)
        except Exception as e:  # recorded: a failed or timed-out install is a result
            with lock:
                batch.errors[name] = f"{type(e).__name__}: {e}"
        with lock:
            batch.returned[name] = time.monotonic() - batch.started

    threads = [threading.Thread(target=create, args=(n,), name=f"create-{n}") for n in names]
    for thread in threads:
        thread.start()
    batch.started = time.monotonic()
    gate.wait()
    for thread in threads:
        thread.join(TIMEOUT * 2)
    return batch
