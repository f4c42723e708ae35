"""The demo cluster is remembered like any context, and reachable from a terminal
(issue 15 #15): every start showed "No cluster" again although its stores persisted, and
nothing said where its kubeconfig is."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox

from storedesk.ui.main_window import MainWindow
from storedesk.ui.session import Connection
from tests.gui.driver import TIMEOUT_MS, wait_connected

pytestmark = [pytest.mark.gui, pytest.mark.helm, pytest.mark.keyring]

ROOT = Path(__file__).resolve().parents[2]
DEMO_LABEL = "storedesk-sim (built-in demo)"


def test_the_demo_cluster_is_a_context_remembered_across_starts(
    qtbot, tmp_path: Path, data_dir: Path, open_window: Callable[..., MainWindow]
) -> None:
    first = open_window(tmp_path / "no-kubeconfig")
    qtbot.waitUntil(
        lambda: first.session.state.connection == Connection.NO_CLUSTER, timeout=TIMEOUT_MS
    )
    combo = first.context_bar.combo
    offered = [combo.itemText(i) for i in range(combo.count())]
    assert offered == [DEMO_LABEL]  # listed even before it runs: picking it starts it
    combo.activated.emit(0)
    wait_connected(qtbot, first)
    assert first.session.choice.demo
    kubeconfig = data_dir / "demo" / "kubeconfig"
    assert first.session.demo_kubeconfig() == kubeconfig

    # From a terminal, the CLI reaches it as its own context while the window runs it.
    done = subprocess.run(
        [sys.executable, "-m", "storedesk", "--kubeconfig", str(kubeconfig), "list", "-o", "json"],
        cwd=ROOT,
        env={**os.environ, "STOREDESK_DATA_DIR": str(data_dir)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["context"] == "storedesk-sim"

    first.close()
    first.session.shutdown()  # the demo stops, keeping its state

    again = open_window(tmp_path / "no-kubeconfig")
    seen: list[Connection] = []
    again.session.state_changed.connect(lambda state: seen.append(state.connection))
    wait_connected(qtbot, again)
    assert again.session.choice is not None and again.session.choice.demo
    assert Connection.NO_CLUSTER not in seen
    assert not again.banner.message.text().startswith("<b>No cluster")


def test_the_cluster_menu_says_how_to_reach_the_demo_from_a_terminal(
    qtbot, tmp_path: Path, data_dir: Path, open_window: Callable[..., MainWindow]
) -> None:
    window = open_window(tmp_path / "no-kubeconfig")
    window.commands.demo_from_terminal.trigger()
    box = window.message_box
    assert isinstance(box, QMessageBox) and box.isVisible()
    kubeconfig = str(data_dir / "demo" / "kubeconfig")
    assert kubeconfig in box.text()
    assert f"storedesk --kubeconfig {kubeconfig} list" in box.text()
    copy = next(b for b in box.buttons() if b.text() == "Copy the command")
    copy.click()
    from PySide6.QtGui import QGuiApplication

    assert QGuiApplication.clipboard().text() == f"storedesk --kubeconfig {kubeconfig} list"
    window.commands.about.trigger()
    assert kubeconfig in window.message_box.text()
