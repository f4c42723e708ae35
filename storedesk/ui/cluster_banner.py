"""What the banner above the table says about the selected cluster."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from storedesk.ui.banner import Level
from storedesk.ui.session import ClusterState, Connection

RETRY = "Retry"
START_DEMO = "Start demo cluster"


@dataclass(frozen=True)
class ClusterMessage:
    """A banner: its level, rich text, and the labels of the buttons it offers."""

    level: Level
    text: str
    buttons: tuple[str, ...] = ()


def cluster_message(state: ClusterState) -> ClusterMessage | None:
    """The banner for `state`, or None when all is well on a real cluster."""
    choice = state.choice
    demo = bool((choice and choice.demo) or (state.info and state.info.demo))
    error = escape(state.error or "")
    if state.connection == Connection.NO_CLUSTER:
        return ClusterMessage(
            Level.ERROR,
            f"<b>No cluster</b>: {error}<br>Point Storedesk at a kubeconfig (--kubeconfig, "
            "KUBECONFIG or ~/.kube/config), or try it on the built-in demo cluster.",
            (START_DEMO, RETRY),
        )
    if state.connection == Connection.UNREACHABLE:
        context = escape(choice.name) if choice else ""
        return ClusterMessage(
            Level.ERROR,
            f"<b>Cluster unreachable</b> (context {context}): {error}<br>The table shows "
            "the last known state; Storedesk keeps trying to reconnect.",
            (RETRY,) if demo else (RETRY, START_DEMO),
        )
    if state.connection == Connection.STARTING_DEMO:
        return ClusterMessage(Level.INFO, "Starting the built-in demo cluster…")
    if demo:
        return ClusterMessage(
            Level.INFO,
            "<b>Demo mode</b>: this is Storedesk's built-in simulated cluster. Stores are "
            "installed with the real chart and helm, but their pods are simulated and serve "
            "no real shop.",
        )
    return None
