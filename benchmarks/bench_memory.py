"""6b. Memory: the app's resident memory with 200 stores listed.

`storedesk` (the window, its own process) is pointed at the simulator holding 200 stores
(one installed with helm, the rest copies of it: see population.py) and reports its RSS
once the table lists them all and the snapshot is painted (see gui_launch.py). The
baseline is the same app on the same simulator before the stores were added (no store
listed), so the ratio shows what the stores themselves cost.
"""

from __future__ import annotations

from benchmarks.harness import Context, Outcome, Spec, keyring_usable, wait_until
from benchmarks.launches import launch
from benchmarks.population import add_stores, all_ready, blueprint, store_names
from benchmarks.simproc import SimProcess
from benchmarks.stores import service_for

SPEC = Spec(
    "6b",
    "memory",
    "Memory: resident set with 200 stores listed",
    "<= 250 MB",
)
GOAL_MB = 250.0
READY_DELAY = 0.3


def run(ctx: Context) -> Outcome:
    """No store, then 200 (50 with --quick)."""
    stores = 50 if ctx.quick else 200
    helm = ctx.helm("4")
    with SimProcess(ctx.work, READY_DELAY) as sim:
        empty = launch(
            "app", ctx.work, kubeconfig=sim.kubeconfig, context=sim.context, helm=helm, rows=0
        )
        service = service_for(sim.kubeconfig, sim.context, helm, ctx.work / "data")
        plan = blueprint(service, keyring_usable())
        add_stores(
            plan, store_names(1, stores), ctx.kubectl(), sim.kubeconfig, sim.context, ctx.work
        )
        wait_until(lambda: all_ready(service, stores), 300, f"{stores} stores Ready", every=1.0)
        full = launch(
            "app",
            ctx.work,
            kubeconfig=sim.kubeconfig,
            context=sim.context,
            helm=helm,
            rows=stores,
        )
    assert empty.rss is not None and full.rss is not None
    figure = round(full.rss / 1e6, 1)
    return Outcome(
        figure=figure,
        unit="MB",
        figure_label=f"RSS, {full.rows} stores listed",
        baseline=round(empty.rss / 1e6, 1),
        baseline_label="RSS, same app, no store",
        met=figure <= GOAL_MB,
        details={
            "stores": stores,
            "rss_bytes": full.rss,
            "rss_bytes_no_store": empty.rss,
            "bytes_per_store": round((full.rss - empty.rss) / stores),
        },
        notes=[f"{(full.rss - empty.rss) / stores / 1024:.0f} KiB per listed store"],
    )
