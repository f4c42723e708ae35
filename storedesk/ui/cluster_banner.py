"""What the banner above the table says about the selected cluster."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from storedesk.ui.banner import Level
from storedesk.ui.session import ClusterState, Connection
from storedesk.ui.text import code_html, names_a_command, without_hint

RETRY = "Retry"
START_DEMO = "Start demo cluster"
CHOOSE_KUBECONFIG = "Choose a kubeconfig…"


def _sentence(text: str) -> str:
    """`text` as a sentence: a capital first and a full stop last."""
    text = text.strip()
    if not text:
        return ""
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


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
    # The monitor's errors carry their hint in parentheses; the banner says its own.
    error = escape(_sentence(without_hint(state.error or "")))
    # A hint that names a command or a flag is for the command line: the buttons are ours.
    hint = state.hint if state.hint and not names_a_command(state.hint) else None
    if state.connection == Connection.NO_CLUSTER:
        where = code_html(_sentence(hint)) if hint else ""
        return ClusterMessage(
            Level.ERROR,
            f"<b>No cluster.</b> {error} {where}<br>Choose a kubeconfig file, or try "
            "Storedesk on its built-in demo cluster.",
            (START_DEMO, CHOOSE_KUBECONFIG, RETRY),
        )
    if state.connection == Connection.UNREACHABLE:
        context = escape(choice.name) if choice else ""
        return ClusterMessage(
            Level.ERROR,
            f"<b>The cluster of context {context} does not answer.</b> {error}<br>The table "
            "shows the last known state; Storedesk keeps trying to reconnect.",
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
