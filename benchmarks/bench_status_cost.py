"""3a. Status cost at scale: API requests per refresh with 1, 50 and 200 stores.

A refresh is StoreService.list_stores() (what `storedesk list` and the window's Refresh
run); the live status is the StatusMonitor's list-then-watch. The simulator runs in this
process so its request counter can be read. One store is installed for real (helm); the
others are copies of what it left on the cluster (see population.py), which the
simulator's controllers run to Ready.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from benchmarks.harness import Context, Outcome, Spec, keyring_usable, median, wait_until
from benchmarks.observe import Follower
from benchmarks.population import add_stores, all_ready, blueprint, store_names
from benchmarks.stores import service_for
from storedesk.provisioning.service import StoreService
from storedesk.sim import Simulator

SPEC = Spec(
    "3a",
    "status_cost",
    "Status cost at scale (API): requests per refresh",
    "the same for 1, 50 and 200 stores",
)
READY_DELAY = 0.3
WATCHES_OPEN = 1.0  # seconds for the monitor's watches to be open after its first snapshot
IDLE = 3.0  # seconds the monitor is then watched doing nothing


def _grouped(counts: Counter[str]) -> dict[str, int]:
    """Requests by method and resource path, without query strings."""
    grouped: Counter[str] = Counter()
    for key, n in counts.items():
        grouped[key.split("?", 1)[0]] += n
    return dict(sorted(grouped.items()))


def _listing(counts: Counter[str]) -> Counter[str]:
    """The requests that list and watch, without the storefront probes' port-forwards."""
    return Counter(
        {k: n for k, n in counts.items() if not k.split("?", 1)[0].endswith("/portforward")}
    )


def measure(sim: Simulator, service: StoreService, stores: int, refreshes: int) -> dict[str, Any]:
    """Requests and time of list_stores(), and the monitor's start and idle cost."""
    sim.reset_request_counts()
    records = service.list_stores()
    counts = sim.request_counts()
    # Each Ready store's storefront is asked once, through its port-forward (the path a
    # shopper takes): counted apart from the listing, which must not grow with the stores.
    per_refresh = _listing(counts)
    probes = sum(counts.values()) - sum(per_refresh.values())
    if len(records) != stores:
        raise RuntimeError(f"listed {len(records)} stores, expected {stores}")
    walls, cpus = [], []
    for _ in range(refreshes):
        wall, cpu = time.perf_counter(), time.thread_time()
        service.list_stores()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.thread_time() - cpu)
    sim.reset_request_counts()
    with Follower(service):
        time.sleep(WATCHES_OPEN)
        started = _listing(sim.request_counts())
        sim.reset_request_counts()
        time.sleep(IDLE)
        idle = _listing(sim.request_counts())
    return {
        "stores": stores,
        "requests_per_refresh": sum(per_refresh.values()),
        "storefront_probes_per_refresh": probes,
        "refresh_requests": _grouped(per_refresh),
        "refresh_ms_median": round(median(walls) * 1000, 1),
        # CPU of the calling thread only: the simulator shares this process.
        "refresh_client_cpu_ms_median": round(median(cpus) * 1000, 1),
        # The monitor's start: /version, then one list and one watch per feed.
        "monitor_start_requests": sum(started.values()),
        "monitor_start_by_path": _grouped(started),
        f"monitor_idle_requests_{IDLE:g}s": sum(idle.values()),
    }


def run(ctx: Context) -> Outcome:
    """1, 50, 200 stores (1, 10, 50 with --quick)."""
    sizes = [1, 10, 50] if ctx.quick else [1, 50, 200]
    use_keyring = keyring_usable()
    rows = []
    with Simulator(ready_delay=READY_DELAY, kubeconfig=ctx.work / "kubeconfig") as sim:
        service = service_for(sim.kubeconfig, sim.context, ctx.helm("4"), ctx.work / "data")
        plan = blueprint(service, use_keyring)
        have = 1
        for size in sizes:
            if size > have:
                started = time.monotonic()
                objects = add_stores(
                    plan,
                    store_names(have, size),
                    ctx.kubectl(),
                    sim.kubeconfig,
                    sim.context,
                    ctx.work,
                )
                took = wait_until(
                    lambda size=size: all_ready(service, size),
                    300,
                    f"{size} stores Ready",
                    every=1.0,
                )
                ctx.log(
                    f"{size} stores: {objects} objects created, all Ready after "
                    f"{time.monotonic() - started:.0f}s ({took:.0f}s waiting)"
                )
                have = size
            rows.append(measure(sim, service, size, ctx.reps(10, 3)))
            ctx.log(
                f"{size} stores: {rows[-1]['requests_per_refresh']} requests per refresh, "
                f"{rows[-1]['refresh_ms_median']} ms"
            )
    counts = {(r["requests_per_refresh"], r["monitor_start_requests"]) for r in rows}
    probes = {r["stores"]: r["storefront_probes_per_refresh"] for r in rows}
    return Outcome(
        figure=rows[-1]["requests_per_refresh"],
        unit="requests",
        figure_label=f"per refresh, {sizes[-1]} stores",
        baseline=rows[0]["requests_per_refresh"],
        baseline_label="per refresh, 1 store",
        met=len(counts) == 1,
        details={
            "sizes": rows,
            "ready_delay_s": READY_DELAY,
            "keyring": use_keyring,
            "population": "1 store installed with helm 4; the others copied from the "
            "objects it left (namespace, manifest, release record) with "
            "kubectl create; the simulator ran their pods to Ready",
        },
        notes=[
            f"refresh time: {rows[0]['refresh_ms_median']} ms at {sizes[0]} store(s), "
            f"{rows[-1]['refresh_ms_median']} ms at {sizes[-1]} (simulator in-process)",
            "listing requests only; beside them, each Ready store's storefront was probed "
            f"once per refresh through its port-forward: {probes}",
        ],
    )
