"""3b. Status cost at scale: time per refresh on the GUI thread, at 1, 50 and 200 stores.

The app's main window runs in this process (offscreen) against the simulator (its own
process, stores as in population.py). Refresh is clicked ten times, one after the
other; each brings a fresh snapshot from the status monitor to the GUI thread, where the
session and the table model apply it. The GUI thread's CPU time over the refreshes, less
what it spends idle over as long, divided by the snapshots it received, is the time per
refresh; a 10 ms heartbeat gives the longest single stall meanwhile. The baseline is the
same with one store.
"""

from __future__ import annotations

import time
from typing import Any

from benchmarks.gui import Heartbeat, helm_for_app, pump, wait_for, window_on
from benchmarks.harness import Context, Outcome, Spec, keyring_usable, wait_until
from benchmarks.population import add_stores, all_ready, blueprint, store_names
from benchmarks.simproc import SimProcess
from benchmarks.stores import service_for

SPEC = Spec(
    "3b",
    "gui_refresh",
    "Status cost at scale (GUI thread): time per refresh",
    "<= 20 ms at 200 stores",
)
READY_DELAY = 0.3
REFRESHES = 10
IDLE_MS = 2000
GOAL_MS = 20.0


def measure(ctx: Context, sim: SimProcess, stores: int) -> dict[str, Any]:
    """A fresh window on `stores` stores: idle cost, then REFRESHES refreshes."""
    folder = ctx.work / f"window{stores}"
    folder.mkdir()
    with window_on(sim.kubeconfig, sim.context, folder) as window:
        wait_for(lambda: len(window.model.names()) == stores, 60, f"{stores} rows")
        pump(500)
        snapshots = [0]
        window.session.records_changed.connect(lambda _: snapshots.__setitem__(0, snapshots[0] + 1))
        cpu, wall = time.thread_time(), time.perf_counter()
        pump(IDLE_MS)
        idle_rate = (time.thread_time() - cpu) / (time.perf_counter() - wall)
        beat = Heartbeat()
        beat.start()
        snapshots[0] = 0
        cpu, wall = time.thread_time(), time.perf_counter()
        for _ in range(REFRESHES):
            before = snapshots[0]
            window.refresh()
            wait_for(lambda before=before: snapshots[0] > before, 30, "a snapshot")
        elapsed = time.perf_counter() - wall
        busy = time.thread_time() - cpu - idle_rate * elapsed
        beat.stop()
    return {
        "stores": stores,
        "snapshots": snapshots[0],
        "gui_ms_per_refresh": round(busy / snapshots[0] * 1000, 2),
        "worst_stall_ms": round(beat.worst(), 1),
        "idle_gui_cpu_percent": round(idle_rate * 100, 2),
        "refresh_round_trip_ms": round(elapsed / REFRESHES * 1000, 1),
    }


def run(ctx: Context) -> Outcome:
    """1, 50, 200 stores (1, 10, 50 with --quick)."""
    sizes = [1, 10, 50] if ctx.quick else [1, 50, 200]
    helm = ctx.helm("4")
    rows = []
    with SimProcess(ctx.work, READY_DELAY) as sim, helm_for_app(helm):
        service = service_for(sim.kubeconfig, sim.context, helm, ctx.work / "data")
        plan = blueprint(service, keyring_usable())
        have = 1
        for size in sizes:
            if size > have:
                add_stores(
                    plan,
                    store_names(have, size),
                    ctx.kubectl(),
                    sim.kubeconfig,
                    sim.context,
                    ctx.work,
                )
                wait_until(lambda size=size: all_ready(service, size), 300, "stores Ready", 1.0)
                have = size
            rows.append(measure(ctx, sim, size))
            ctx.log(
                f"{size} stores: {rows[-1]['gui_ms_per_refresh']} ms GUI time per refresh, "
                f"worst stall {rows[-1]['worst_stall_ms']} ms"
            )
    figure = rows[-1]["gui_ms_per_refresh"]
    return Outcome(
        figure=figure,
        unit="ms",
        figure_label=f"GUI-thread CPU per refresh, {sizes[-1]} stores",
        baseline=rows[0]["gui_ms_per_refresh"],
        baseline_label="same, 1 store",
        met=figure <= GOAL_MS,
        details={"sizes": rows, "refreshes": REFRESHES},
        notes=[
            f"longest GUI stall during the refreshes at {sizes[-1]} stores: "
            f"{rows[-1]['worst_stall_ms']} ms"
        ],
    )
