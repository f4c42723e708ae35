"""5. Responsiveness: the longest GUI-thread stall while 20 stores provision.

The app's main window runs in this process (offscreen), connected to the simulator (its
own process). A 10 ms precise QTimer beats on the GUI thread; how late a beat fires is
how long the GUI thread could not run. Twenty stores are created at once through the
window's own operations (twenty clicks on New store, 20 ms apart), and the beat is watched
until the table shows all twenty Ready. The baseline is the same window, connected and
watching, with nothing to do, for as long.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QTimer

from benchmarks.gui import Heartbeat, all_rows_ready, helm_for_app, pump, wait_for, window_on
from benchmarks.harness import Context, Outcome, Spec, keyring_usable, percentile
from benchmarks.simproc import SimProcess

SPEC = Spec(
    "5",
    "responsiveness",
    "Responsiveness: longest GUI-thread stall while 20 stores provision",
    "<= 50 ms",
)
STORES = 20
READY_DELAY = 2.0
GOAL_MS = 50.0
READY_TIMEOUT = 300.0
CLICK_EVERY_MS = 20


def _summary(lateness: list[float]) -> dict[str, float]:
    return {
        "beats": len(lateness),
        "worst_ms": round(max(lateness, default=0.0), 1),
        "p99_ms": round(percentile(lateness, 99), 1),
        "p95_ms": round(percentile(lateness, 95), 1),
        "over_50ms": sum(1 for late in lateness if late > GOAL_MS),
    }


def run(ctx: Context) -> Outcome:
    """Idle window, then 20 creates at once."""
    from storedesk.ui.new_store_dialog import NewStore

    use_keyring = keyring_usable()
    beat = Heartbeat()
    with (
        SimProcess(ctx.work, READY_DELAY) as sim,
        helm_for_app(ctx.helm("4")),
        window_on(sim.kubeconfig, sim.context, ctx.work) as window,
    ):
        pump(500)  # the first snapshot and the watches settle
        beat.start()
        started = time.monotonic()
        for i in range(STORES):  # each its own event, as clicks are: 20 in 0.4 s
            request = NewStore(f"resp{i:02d}", "woocommerce", {})
            QTimer.singleShot(
                i * CLICK_EVERY_MS,
                lambda request=request: window.operations.create(request, use_keyring=use_keyring),
            )
        took = wait_for(
            lambda: all_rows_ready(window, STORES), READY_TIMEOUT, f"{STORES} rows Ready"
        )
        busy = _summary(beat.lateness_ms)
        provisioning = time.monotonic() - started
        wait_for(lambda: not window.operations.running(), 60, "the creates to end")
        pump(500)
        beat.start()  # baseline: the same window with nothing to do, for as long
        pump(int(provisioning * 1000))
        idle = _summary(beat.lateness_ms)
        beat.stop()
    return Outcome(
        figure=busy["worst_ms"],
        unit="ms",
        figure_label=f"worst heartbeat lateness, {STORES} stores provisioning",
        baseline=idle["worst_ms"],
        baseline_label="worst lateness, same window idle",
        met=busy["worst_ms"] <= GOAL_MS,
        details={
            "stores": STORES,
            "ready_delay_s": READY_DELAY,
            "keyring": use_keyring,
            "all_ready_s": round(took, 2),
            "provisioning": busy,
            "idle": idle,
        },
        notes=[
            f"p99 lateness {busy['p99_ms']} ms while provisioning ({busy['beats']} beats, "
            f"{busy['over_50ms']} over {GOAL_MS:g} ms)"
        ],
    )
