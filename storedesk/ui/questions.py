"""The window's questions and notes in a box of their own: each says what happens, and its
buttons are the next steps (never a command to type)."""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from storedesk import __version__
from storedesk.ui.icons import app_icon


def ask(
    parent: QWidget,
    title: str,
    text: str,
    go: str,
    then: Callable[[], object],
    icon: QMessageBox.Icon = QMessageBox.Icon.Question,
) -> QMessageBox:
    """A non-blocking question: `go` calls `then`, Cancel nothing."""
    box = QMessageBox(icon, title, text, parent=parent)
    box.setTextFormat(Qt.TextFormat.RichText)
    confirm = box.addButton(go, QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(confirm)
    box.finished.connect(lambda _: then() if box.clickedButton() is confirm else None)
    box.open()
    return box


def upgrade_question(store: str, deployed: str, shipped: str, revision: int) -> str:
    """What an upgrade changes, for its confirmation (rich text)."""
    return (
        f"Upgrade store <b>{escape(store)}</b> from chart <b>{escape(deployed)}</b> to "
        f"<b>{escape(shipped)}</b>?"
        "<br><br>Storedesk runs the same converge as a create: one helm upgrade with the "
        "store's options and passwords (never rotated). Its data (database and uploads) "
        f"stays. If the upgrade fails, helm rolls the store back to revision {revision} at "
        f"once, so it keeps running {escape(deployed)}."
    )


def demo_cli_text(kubeconfig: Path, running: bool) -> str:
    """How to reach the demo cluster from a terminal (rich text)."""
    command = f"storedesk --kubeconfig {kubeconfig} list"
    state = (
        "It runs now, in this window."
        if running
        else "It runs while this window runs it (Cluster &gt; Start demo cluster)."
    )
    return (
        "<p>The built-in demo cluster is a context like any other, "
        f"<b>storedesk-sim</b>, in its own kubeconfig:</p><p><code>{escape(str(kubeconfig))}"
        f"</code></p><p>{state} From a terminal, the command line and kubectl reach it "
        f"there, e.g.</p><p><code>{escape(command)}</code></p>"
    )


def about_text(kubeconfig: Path) -> str:
    """The About box (rich text)."""
    return (
        f"<b>Storedesk {escape(__version__)}</b><p>A shop factory on your Kubernetes "
        "cluster: create, watch, upgrade, roll back and delete stores.</p><p>The demo "
        f"cluster's kubeconfig is <code>{escape(str(kubeconfig))}</code>: "
        f"<code>storedesk --kubeconfig {escape(str(kubeconfig))} list</code> lists its "
        "stores while the window runs it.</p>"
    )


def about(parent: QWidget, kubeconfig: Path) -> QMessageBox:
    """The About box, non-blocking."""
    box = QMessageBox(
        QMessageBox.Icon.NoIcon, "About Storedesk", about_text(kubeconfig), parent=parent
    )
    box.setTextFormat(Qt.TextFormat.RichText)
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    box.setIconPixmap(app_icon().pixmap(64, 64))
    box.open()
    return box
