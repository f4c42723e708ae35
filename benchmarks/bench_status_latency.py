"""4. Status latency: from a pod turning Ready on the simulator to the table model showing
the store Ready.

The simulator runs in this process (as the window's demo cluster does) so the instant a
pod turns Ready is read from its store, not guessed. The app's main window follows 20
stores; one store at a time loses its WordPress pod (deleted: its ReplicaSet makes a new
one, the store goes Provisioning), and the time runs from the new pod's Ready to the
model's dataChanged that shows the store Ready. The baseline is a bare watch on pods
(the same Kubernetes client, its own thread): when the Ready pod reaches any client.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from benchmarks.gui import helm_for_app, phase_of, pump, wait_for, window_on
from benchmarks.harness import (
    Context,
    Outcome,
    Spec,
    keyring_usable,
    median,
    percentile,
    wait_until,
)
from benchmarks.population import add_stores, all_ready, blueprint, store_names
from benchmarks.stores import service_for
from storedesk.cluster.kube import PODS
from storedesk.domain.models import STORE_LABEL, Phase
from storedesk.sim import Simulator
from storedesk.sim.store import Change

SPEC = Spec(
    "4",
    "status_latency",
    "Status latency: pod Ready on the cluster to Ready in the table model",
    "p95 <= 1 s",
)
STORES = 20
READY_DELAY = 0.5
GOAL_S = 1.0


def _ready(pod: dict[str, Any] | None) -> bool:
    conditions = ((pod or {}).get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


class Clocks:
    """When the last pod of each namespace turned Ready: on the simulator, at a bare watch,
    and when the model showed its store Ready."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.pod_ready: dict[str, float] = {}
        self.watch_saw: dict[str, float] = {}
        self.model_ready: dict[str, float] = {}

    def on_change(self, change: Change) -> None:
        """The simulator's store listener (runs under its lock: quick)."""
        if change.rt.kind == "Pod" and _ready(change.obj) and not _ready(change.old):
            with self.lock:
                self.pod_ready[change.obj["metadata"]["namespace"]] = time.perf_counter()

    def forget(self, namespace: str) -> None:
        """Start a new sample on `namespace`."""
        with self.lock:
            for clock in (self.pod_ready, self.watch_saw, self.model_ready):
                clock.pop(namespace, None)


def bare_watch(service: Any, clocks: Clocks, stop: threading.Event) -> None:
    """The baseline client: a plain watch on the stores' pods."""
    _, version = service.kube.list(PODS, label_selector=STORE_LABEL)
    for event in service.kube.watch(
        PODS, version, label_selector=STORE_LABEL, timeout_seconds=600, stop=stop
    ):
        pod = event.get("object") or {}
        if event.get("type") == "MODIFIED" and _ready(pod):
            with clocks.lock:
                clocks.watch_saw[pod["metadata"]["namespace"]] = time.perf_counter()


def run(ctx: Context) -> Outcome:
    """20 samples (8 with --quick)."""
    samples = ctx.reps(20, 8)
    clocks = Clocks()
    stop = threading.Event()
    app_latency, watch_latency = [], []
    with Simulator(ready_delay=READY_DELAY, kubeconfig=ctx.work / "kubeconfig") as sim:
        service = service_for(sim.kubeconfig, sim.context, ctx.helm("4"), ctx.work / "data")
        plan = blueprint(service, keyring_usable())
        add_stores(
            plan, store_names(1, STORES), ctx.kubectl(), sim.kubeconfig, sim.context, ctx.work
        )
        wait_until(lambda: all_ready(service, STORES), 120, f"{STORES} stores Ready", 0.5)
        sim.store.subscribe(clocks.on_change)
        watcher = threading.Thread(target=bare_watch, args=(service, clocks, stop), daemon=True)
        watcher.start()
        with helm_for_app(ctx.helm("4")), window_on(sim.kubeconfig, sim.context, ctx.work) as win:
            wait_for(lambda: len(win.model.names()) == STORES, 60, "the table to list the stores")
            current: dict[str, str] = {}

            def changed(*_: object) -> None:
                name = current.get("name")
                if name and phase_of(win, name) == Phase.READY:
                    clocks.model_ready.setdefault(f"store-{name}", time.perf_counter())

            win.model.dataChanged.connect(changed)
            names = win.model.names()
            for i in range(samples):
                name = names[i % len(names)]
                namespace = f"store-{name}"
                wait_for(lambda n=name: phase_of(win, n) == Phase.READY, 30, f"{name} Ready")
                pods, _ = service.kube.list(
                    PODS, namespace=namespace, label_selector=f"{STORE_LABEL}={name}"
                )
                victim = next(p for p in pods if "wordpress" in p["metadata"]["name"])
                current.clear()
                clocks.forget(namespace)
                service.kube.delete(PODS, victim["metadata"]["name"], namespace=namespace)
                wait_for(lambda n=name: phase_of(win, n) != Phase.READY, 30, f"{name} to change")
                current["name"] = name
                wait_for(lambda ns=namespace: ns in clocks.model_ready, 30, f"{name} Ready again")
                pump(100)  # the bare watch's event is in by now too
                with clocks.lock:
                    app_latency.append(clocks.model_ready[namespace] - clocks.pod_ready[namespace])
                    watch_latency.append(clocks.watch_saw[namespace] - clocks.pod_ready[namespace])
        stop.set()
    p95, base95 = percentile(app_latency, 95), percentile(watch_latency, 95)
    return Outcome(
        figure=round(p95, 3),
        unit="s",
        figure_label="p95, pod Ready to table model Ready",
        baseline=round(base95, 3),
        baseline_label="p95, pod Ready to a bare watch",
        met=p95 <= GOAL_S,
        details={
            "stores": STORES,
            "samples": samples,
            "ready_delay_s": READY_DELAY,
            "app_median_s": round(median(app_latency), 3),
            "app_max_s": round(max(app_latency), 3),
            "app_samples_s": [round(x, 3) for x in app_latency],
            "watch_median_s": round(median(watch_latency), 3),
            "watch_samples_s": [round(x, 3) for x in watch_latency],
        },
        notes=[
            f"median {median(app_latency) * 1000:.0f} ms to the model, "
            f"{median(watch_latency) * 1000:.0f} ms to a bare watch"
        ],
    )
