"""8b. Port-forward throughput: one large GET through a running Storedesk port-forward
(browser -> 127.0.0.1 -> Kubernetes API WebSocket -> the simulated responder). Baseline:
the same GET to the responder directly (the simulator's ingress controller)."""

from __future__ import annotations

from benchmarks.forwarding import STORE, bed, throughput
from benchmarks.harness import Context, Outcome, Spec, median

SPEC = Spec("8b", "forward_throughput", "Port-forward: throughput of one forward", "")
SIZE = 32 * 1024 * 1024  # bytes per GET
ROUNDS = 5


def run(ctx: Context) -> Outcome:
    """ROUNDS GETs of SIZE bytes each way; the medians."""
    size = 8 * 1024 * 1024 if ctx.quick else SIZE
    rounds = 2 if ctx.quick else ROUNDS
    with bed(ctx) as b:
        state = b.service.forwards.start(STORE)
        through = [throughput(state.port, f"{b.host}:{state.port}", size) for _ in range(rounds)]
        direct = [throughput(b.direct_port, b.host, size) for _ in range(rounds)]
    figure, baseline = median(through), median(direct)
    return Outcome(
        figure=round(figure, 1),
        unit="MB/s",
        figure_label=f"median of {rounds} GETs of {size // 2**20} MiB through the forward",
        baseline=round(baseline, 1),
        baseline_label="the same GETs to the simulated responder directly",
        met=None,
        ratio=figure / baseline if baseline else None,
        details={"size_bytes": size, "rounds": rounds},
    )
