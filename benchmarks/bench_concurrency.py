"""2. Concurrency: 20 stores created at once vs one store, as the window does it.

The window starts each create on a worker thread and follows status through the
StatusMonitor's watch; so does this: StoreService.create on 20 threads at once, and the
time runs until the monitor's snapshots show all 20 Ready. The baseline is one store,
the same way, on the same simulator (its own process). A sampler counts the helm
processes running at once, to show the cap holding. With the full run, other caps are
measured as well, to show what the cap costs.
"""

from __future__ import annotations

import os
import resource
import time
from typing import Any

from benchmarks.harness import Context, Outcome, Spec, keyring_usable, median
from benchmarks.observe import ChildCounter, Follower
from benchmarks.simproc import SimProcess
from benchmarks.stores import create_at_once, service_for
from storedesk.cluster.helm import helm_slots, set_helm_concurrency

SPEC = Spec(
    "2",
    "concurrency",
    "Concurrency: 20 stores created at once vs one store",
    "total <= 3x one store; no failed installs, no timeouts",
)
STORES = 20
READY_DELAY = 2.0
GOAL = 3.0
READY_TIMEOUT = 300.0


def _cpu() -> tuple[float, float]:
    """CPU seconds so far of this process (Storedesk) and of its finished children (helm)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def measure(ctx: Context, cap: int, singles: int, use_keyring: bool) -> dict[str, Any]:
    """One store (`singles` times), then 20 at once, with the helm cap at `cap`."""
    folder = ctx.work / f"cap{cap}"
    folder.mkdir()
    set_helm_concurrency(cap)
    with SimProcess(folder, READY_DELAY) as sim:
        service = service_for(sim.kubeconfig, sim.context, ctx.helm("4"), folder / "data")
        with Follower(service) as follow:
            one: list[float] = []
            for i in range(singles + 1):  # the first one warms up and is not counted
                name = f"c{cap}one{i}"  # names per cap: no keyring entry is reused
                batch = create_at_once(service, [name], use_keyring)
                if batch.errors:
                    raise RuntimeError(f"one store failed: {batch.errors}")
                follow.wait_ready({name}, READY_TIMEOUT)
                if i:
                    one.append(follow.ready_at[name] - batch.started)
            names = [f"c{cap}many{i:02d}" for i in range(STORES)]
            (own, helm), sim_before = _cpu(), sim.cpu_seconds()
            with ChildCounter("helm") as helm_processes:
                batch = create_at_once(service, names, use_keyring)
                follow.wait_ready(set(names) - batch.errors.keys(), READY_TIMEOUT)
            ready = [follow.ready_at[n] - batch.started for n in names if n in follow.ready_at]
            own_after, helm_after = _cpu()
            own, helm, sim_cpu = own_after - own, helm_after - helm, sim.cpu_seconds() - sim_before
    total = max(ready)
    return {
        "cap": cap,
        "one_store_s": round(median(one), 3),
        "one_store_samples_s": [round(t, 3) for t in one],
        "all_ready_s": round(total, 3),
        "ratio": round(total / median(one), 3),
        "first_ready_s": round(min(ready), 3),
        "median_ready_s": round(median(ready), 3),
        "last_create_returned_s": round(max(batch.returned.values()), 3),
        "failed": len(batch.errors),
        "errors": batch.errors,
        # Rows that showed Failed before turning Ready: when, and when their create returned.
        "showed_failed": {
            n: {
                "at_s": round(at - batch.started, 3),
                "reason": why,
                "create_returned_s": round(batch.returned.get(n, -1), 3),
            }
            for n, (at, why) in follow.failed.items()
            if n in names
        },
        "peak_helm_processes": helm_processes.peak,
        # CPU of the whole batch: this process (Storedesk, the monitor, the sampler), the
        # helm processes, and the simulator; the machine's cores bound what runs at once.
        "storedesk_cpu_s": round(own, 2),
        "helm_cpu_s": round(helm, 2),
        "sim_cpu_s": round(sim_cpu, 2),
    }


def run(ctx: Context) -> Outcome:
    """The app's default cap; with the full run, also 8 and 20."""
    use_keyring = keyring_usable()
    default = helm_slots().size
    caps = [default] if ctx.quick else [default, *(c for c in (8, STORES) if c != default)]
    rounds = []
    try:
        for cap in caps:
            started = time.monotonic()
            rounds.append(measure(ctx, cap, ctx.reps(3, 1), use_keyring))
            r = rounds[-1]
            ctx.log(
                f"cap {cap}: one store {r['one_store_s']}s, {STORES} at once "
                f"{r['all_ready_s']}s (x{r['ratio']}), peak helm {r['peak_helm_processes']}, "
                f"failed {r['failed']}, showed Failed {len(r['showed_failed'])} "
                f"({time.monotonic() - started:.0f}s)"
            )
    finally:
        set_helm_concurrency(default)
    main = rounds[0]
    capped = main["peak_helm_processes"] <= main["cap"]
    cpu = main["helm_cpu_s"] + main["storedesk_cpu_s"] + main["sim_cpu_s"]
    notes = [
        f"helm cap {main['cap']} (STOREDESK_HELM_CONCURRENCY, default 4); peak helm processes "
        f"seen: {main['peak_helm_processes']}; failed creates: {main['failed']}; rows that "
        f"showed Failed on the way: {len(main['showed_failed'])}",
        f"CPU for the {STORES} stores: helm {main['helm_cpu_s']:.1f} s + Storedesk "
        f"{main['storedesk_cpu_s']:.1f} s + simulator {main['sim_cpu_s']:.1f} s = {cpu:.1f} s on "
        f"{os.cpu_count()} cores: at least {cpu / (os.cpu_count() or 1):.1f} s of wall time",
        *(
            f"cap {r['cap']}: {r['all_ready_s']:.1f} s (x{r['ratio']:.2f}), peak helm "
            f"{r['peak_helm_processes']}, failed {r['failed']}, showed Failed "
            f"{len(r['showed_failed'])}"
            for r in rounds[1:]
        ),
    ]
    return Outcome(
        figure=main["all_ready_s"],
        unit="s",
        figure_label=f"{STORES} stores at once, all Ready (cap {main['cap']})",
        baseline=main["one_store_s"],
        baseline_label="one store, Ready",
        met=(
            main["ratio"] <= GOAL and main["failed"] == 0 and not main["showed_failed"] and capped
        ),
        ratio=main["ratio"],
        details={
            "stores": STORES,
            "ready_delay_s": READY_DELAY,
            "keyring": use_keyring,
            "rounds": rounds,
        },
        notes=notes,
    )
