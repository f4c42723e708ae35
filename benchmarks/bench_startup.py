"""6a. Start-up: from process start to the main window shown.

`storedesk` with no command (the app's own entry point) is started as a process of its
own, pointed at the simulator, and reports the main window's first paint (see
gui_launch.py). The baseline is the same for an empty PySide6 QMainWindow: what Qt alone
costs on this machine. The first start of each is a warm-up (disk caches), not counted.
"""

from __future__ import annotations

from benchmarks.harness import Context, Outcome, Spec, median
from benchmarks.launches import launch
from benchmarks.simproc import SimProcess

SPEC = Spec(
    "6a",
    "startup",
    "Start-up: process start to main window shown",
    "<= 1.5 s",
)
GOAL_S = 1.5


def run(ctx: Context) -> Outcome:
    """Alternate app and bare Qt starts (5 each; 2 with --quick)."""
    reps = ctx.reps(5, 2)
    app, bare = [], []
    with SimProcess(ctx.work, 2.0) as sim:
        for i in range(reps + 1):
            shown = launch(
                "app",
                ctx.work,
                kubeconfig=sim.kubeconfig,
                context=sim.context,
                helm=ctx.helm("4"),
            ).shown_s
            plain = launch("bare", ctx.work).shown_s
            if i:
                app.append(shown)
                bare.append(plain)
            ctx.log(
                f"start {i}{' (warm-up)' if not i else ''}: app {shown:.2f}s, bare Qt {plain:.2f}s"
            )
    figure = round(median(app), 3)
    return Outcome(
        figure=figure,
        unit="s",
        figure_label="storedesk window shown, median",
        baseline=round(median(bare), 3),
        baseline_label="empty PySide6 window shown, median",
        met=figure <= GOAL_S,
        details={
            "repetitions": reps,
            "app_samples_s": [round(x, 3) for x in app],
            "bare_samples_s": [round(x, 3) for x in bare],
        },
    )
