"""8a. Port-forward latency: from asking for a store's page to its first byte, through a new
Storedesk port-forward (the forward started for the request: listener, Kubernetes API
port-forward to a Ready pod, the simulated responder). Baseline: the same request to the
same responder directly (the simulator's ingress controller), in the same run."""

from __future__ import annotations

import time

from benchmarks.forwarding import STORE, bed, first_byte
from benchmarks.harness import Context, Outcome, Spec, median, percentile

SPEC = Spec("8a", "forward_latency", "Port-forward: first byte through a new forward", "")
SAMPLES = 30


def run(ctx: Context) -> Outcome:
    """Start a forward and fetch the storefront, SAMPLES times; the same page directly."""
    samples = 8 if ctx.quick else SAMPLES
    through: list[float] = []
    direct: list[float] = []
    with bed(ctx) as b:
        for _ in range(samples):
            b.service.forwards.stop(STORE)
            asked = time.perf_counter()  # the forward's start counts: the whole ask
            state = b.service.forwards.start(STORE)
            through.append(first_byte(state.port, f"{b.host}:{state.port}", since=asked))
            direct.append(first_byte(b.direct_port, b.host))
    figure, baseline = percentile(through, 95), percentile(direct, 95)
    return Outcome(
        figure=round(figure, 4),
        unit="s",
        figure_label="p95, ask to first byte through a new forward",
        baseline=round(baseline, 4),
        baseline_label="p95, the same request to the simulated responder directly",
        met=None,
        ratio=figure / baseline if baseline else None,
        details={
            "samples": samples,
            "through_median_s": round(median(through), 4),
            "direct_median_s": round(median(direct), 4),
        },
    )
