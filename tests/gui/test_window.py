"""The real main window against the simulator: real helm, real chart, real keyring."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QGuiApplication

from storedesk.cluster.kube import NAMESPACES
from storedesk.cluster.kubeconfig import resolve_target
from storedesk.domain import names
from storedesk.domain.models import Phase
from storedesk.provisioning.service import Settings, StoreService
from storedesk.sim import Simulator
from storedesk.ui.credentials_box import HIDDEN
from storedesk.ui.main_window import MainWindow
from storedesk.ui.session import Connection
from storedesk.ui.store_model import BUSY_ROLE, Column
from tests.gui.driver import (
    TIMEOUT_MS,
    create_with_dialog,
    phase,
    record,
    status_cell,
    visible_names,
    wait_connected,
    wait_idle,
    wait_phase,
)

pytestmark = [pytest.mark.gui, pytest.mark.helm, pytest.mark.keyring]

WRITES = ("POST", "PUT", "PATCH", "DELETE")


def test_a_new_store_shows_at_once_as_provisioning_then_turns_ready(
    qtbot, window: MainWindow
) -> None:
    seen: list[Phase] = []
    window.model.dataChanged.connect(
        lambda *_: seen.append(phase(window, "shop")) if phase(window, "shop") else None
    )
    create_with_dialog(qtbot, window, "shop")
    # The row is there before any worker reported back.
    assert phase(window, "shop") == Phase.PROVISIONING
    assert window.model.index(window.model.row_of("shop"), Column.NAME).data(BUSY_ROLE)
    assert window.table.selected_name() == "shop"
    wait_phase(qtbot, window, "shop", Phase.READY)
    wait_idle(qtbot, window)
    assert seen[-1] == Phase.READY
    assert Phase.FAILED not in seen
    assert status_cell(window, "shop") == "Ready"
    assert window.model.busy("shop") is None
    assert record(window, "shop").url.startswith("http://shop.localhost:")  # port-forward
    # The details pane follows the selection: pods with readiness, links, the event log.
    qtbot.waitUntil(lambda: window.details.pods.topLevelItemCount() == 2, timeout=TIMEOUT_MS)
    assert record(window, "shop").url in window.details.storefront.text()
    assert "helm" in window.details.log.text()


def test_an_image_failure_shows_failed_with_its_reason(
    qtbot, window: MainWindow, sim: Simulator
) -> None:
    sim.faults.fail_image("*wordpress*", "ImagePullBackOff")
    create_with_dialog(qtbot, window, "broken")
    # The kubelet reports ErrImagePull first, then ImagePullBackOff.
    qtbot.waitUntil(
        lambda: status_cell(window, "broken") == "Failed: ImagePullBackOff", timeout=TIMEOUT_MS
    )
    details = window.details
    assert details.record.name == "broken"  # still selected since the dialog closed
    assert details.problem.isVisible()
    assert "ImagePullBackOff" in details.problem_text.text()
    assert "Suggested fix" in details.problem_text.text()
    # Storedesk stops helm once the store has failed, rather than hold the store's lock
    # until helm's timeout: Retry and Delete are available at once.
    qtbot.waitUntil(lambda: window.operations.running() == [], timeout=TIMEOUT_MS)
    qtbot.waitUntil(details.retry_button.isEnabled, timeout=TIMEOUT_MS)


def test_delete_asks_for_the_name_then_removes_the_row(
    qtbot, window: MainWindow, sim: Simulator
) -> None:
    create_with_dialog(qtbot, window, "old")
    wait_phase(qtbot, window, "old", Phase.READY)
    wait_idle(qtbot, window)
    window.table.select("old")
    window.commands.delete.trigger()
    dialog = window.delete_dialog
    assert dialog is not None and dialog.isVisible()
    assert not dialog.delete_button.isEnabled()
    qtbot.keyClicks(dialog.confirm_edit, "old")
    qtbot.mouseClick(dialog.delete_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.model.busy("old") == "deleting", timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: record(window, "old") is None, timeout=TIMEOUT_MS)
    assert "old" not in visible_names(window)
    assert sim.request_counts()["DELETE /api/v1/namespaces/store-old"] == 1


def test_an_invalid_name_is_refused_inline_and_nothing_reaches_the_cluster(
    qtbot, window: MainWindow, sim: Simulator
) -> None:
    sim.reset_request_counts()
    window.commands.new_store.trigger()
    dialog = window.new_store_dialog
    qtbot.keyClicks(dialog.name_edit, "My_Shop")
    assert dialog.name_problem.text() == names.name_problem("My_Shop")
    assert not dialog.create_button.isEnabled()
    qtbot.keyClick(dialog.name_edit, Qt.Key.Key_Return)
    qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible()
    dialog.reject()
    qtbot.wait(300)  # give a wrongly started worker time to reach the simulator
    assert window.model.names() == []
    assert not window.operations.running()
    # The cluster check's access reviews (POSTs that change nothing) may run meanwhile.
    writes = [
        key
        for key in sim.request_counts()
        if key.split(" ")[0] in WRITES and "accessreviews" not in key
    ]
    assert writes == []


def test_an_outage_shows_the_banner_and_keeps_the_last_known_rows(
    qtbot, window: MainWindow, sim: Simulator
) -> None:
    create_with_dialog(qtbot, window, "steady")
    wait_phase(qtbot, window, "steady", Phase.READY)
    wait_idle(qtbot, window)
    sim.set_outage("refuse")
    qtbot.waitUntil(
        lambda: window.banner.isVisible() and "does not answer" in window.banner.message.text(),
        timeout=TIMEOUT_MS,
    )
    assert window.session.state.connection == Connection.UNREACHABLE
    assert window.context_bar.reach.text() == "Unreachable"
    assert window.model.names() == ["steady"]
    kept = record(window, "steady")
    assert kept.url.startswith("http://steady.localhost:")
    assert "last seen: Ready" in (kept.status.detail or "")
    assert window.banner.button("Retry") is not None
    sim.set_outage(None)
    window.commands.refresh.trigger()
    wait_connected(qtbot, window)
    wait_phase(qtbot, window, "steady", Phase.READY)
    assert not window.banner.isVisible() or "Demo mode" in window.banner.message.text()


def test_switching_context_shows_the_other_clusters_stores(
    qtbot, sim: Simulator, data_dir: Path, open_window: Callable[..., MainWindow]
) -> None:
    with Simulator(ready_delay=0.3, kubeconfig=sim.kubeconfig, context="second") as other:
        for cluster, store in ((sim, "alpha"), (other, "bravo")):
            target = resolve_target(str(sim.kubeconfig), cluster.context)
            StoreService(target, settings=Settings(data_dir=data_dir)).create(store)
        window = open_window(sim.kubeconfig)  # the kubeconfig's current context: sim
        wait_connected(qtbot, window)
        qtbot.waitUntil(lambda: window.model.names() == ["alpha"], timeout=TIMEOUT_MS)
        combo = window.context_bar.combo
        # The kubeconfig's contexts, then the built-in demo cluster (picking it starts it).
        assert [combo.itemText(i) for i in range(combo.count())] == [
            "second",
            sim.context,
            "storedesk-sim (built-in demo)",
        ]
        combo.activated.emit(combo.findText("second"))
        qtbot.waitUntil(lambda: window.model.names() == ["bravo"], timeout=TIMEOUT_MS)
        wait_connected(qtbot, window)
        assert window.session.choice.name == "second"
        assert "second" in window.windowTitle()
        window.context_menu.actions()[1].trigger()  # back, through the Cluster menu
        qtbot.waitUntil(lambda: window.model.names() == ["alpha"], timeout=TIMEOUT_MS)
        window.context_menu.actions()[0].trigger()
        qtbot.waitUntil(lambda: window.model.names() == ["bravo"], timeout=TIMEOUT_MS)
        wait_connected(qtbot, window)
        # Picking the selected context again keeps following it: nothing is dropped.
        followed = window.session.generation
        window.context_menu.actions()[0].trigger()
        assert window.session.generation == followed and window.model.names() == ["bravo"]
        assert sum(a.isChecked() for a in window.context_menu.actions()) == 1
        window.close()
        # Opened again without --context: the context used last, not the kubeconfig's.
        again = open_window(sim.kubeconfig)
        qtbot.waitUntil(lambda: again.model.names() == ["bravo"], timeout=TIMEOUT_MS)
        assert again.session.choice.name == "second"
        window.session.shutdown()
        again.session.shutdown()


def processes_mentioning(text: str) -> list[Path]:
    """The running processes whose command line holds `text`."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if text in cmdline.read_bytes().decode(errors="replace"):
                found.append(cmdline.parent)
        except OSError:  # it ended while we looked
            continue
    return found


def test_without_a_kubeconfig_the_banner_offers_the_demo_cluster(
    qtbot, tmp_path: Path, data_dir: Path, open_window: Callable[..., MainWindow]
) -> None:
    window = open_window(tmp_path / "missing-kubeconfig")
    qtbot.waitUntil(
        lambda: window.session.state.connection == Connection.NO_CLUSTER, timeout=TIMEOUT_MS
    )
    assert window.banner.isVisible()
    assert "No cluster" in window.banner.message.text()
    assert "does not exist" in window.banner.message.text()
    assert not window.commands.new_store.isEnabled()
    qtbot.mouseClick(window.banner.button("Start demo cluster"), Qt.MouseButton.LeftButton)
    assert not window.commands.start_demo.isEnabled()  # starting: one demo cluster only
    window.session.start_demo()  # asked again meanwhile (the banner can still offer it)
    wait_connected(qtbot, window)
    assert len(processes_mentioning(str(data_dir / "demo" / "kubeconfig"))) == 1
    assert window.session.choice.demo
    assert window.context_bar.demo_badge.isVisible()
    assert "Demo mode" in window.banner.message.text()
    assert "(demo)" in window.windowTitle()
    assert window.commands.new_store.isEnabled()
    # The demo cluster runs in a child process (its work never holds this process's
    # interpreter lock) and stops with the window, saving its state for the next start.
    demo = window.session.demo
    assert demo.pid != os.getpid() and demo.running
    window.session.shutdown()
    assert not demo.running
    assert (data_dir / "demo" / "state.json").exists()


def test_closing_while_a_create_runs_asks_then_waits_for_it(qtbot, window: MainWindow) -> None:
    create_with_dialog(qtbot, window, "late")
    window.close()
    prompt = window.close_prompt
    assert prompt is not None and prompt.isVisible()
    assert "create late" in prompt.text()
    assert window.isVisible()
    wait_button = next(b for b in prompt.buttons() if b.text() == "Quit when finished")
    qtbot.mouseClick(wait_button, Qt.MouseButton.LeftButton)
    assert window.isVisible()  # still finishing the create
    assert not window.commands.new_store.isEnabled()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=TIMEOUT_MS)
    assert window.operations.running() == []


def test_closing_can_stop_running_operations(qtbot, window: MainWindow, sim) -> None:
    sim.faults.latency = 0.05  # helm takes several seconds: time to stop it halfway
    create_with_dialog(qtbot, window, "halted")
    log = window.session.service.log
    qtbot.waitUntil(
        lambda: any(e.step == "credentials" for e in log.read("halted")), timeout=TIMEOUT_MS
    )
    window.close()
    stop = next(b for b in window.close_prompt.buttons() if b.text() == "Stop them and quit")
    qtbot.mouseClick(stop, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=TIMEOUT_MS)
    last = [e for e in log.read("halted") if e.step == "operation"][-1]
    assert last.outcome == "failed"
    assert "cancelled" in last.message


def test_creates_beyond_four_wait_their_turn_and_stopping_them_changes_nothing(
    qtbot, window: MainWindow, sim
) -> None:
    sim.faults.latency = 0.05  # helm takes several seconds
    stores = [f"queued-{i}" for i in range(6)]
    for name in stores:
        create_with_dialog(qtbot, window, name)
    assert all(phase(window, name) == Phase.PROVISIONING for name in stores)  # rows at once
    log = window.session.service.log

    def started() -> list[str]:
        return [name for name in stores if log.read(name)]

    # Once a create runs helm, the others had time to start, had they not been queued.
    qtbot.waitUntil(
        lambda: any(e.step == "helm" for name in stores for e in log.read(name)),
        timeout=TIMEOUT_MS,
    )
    assert len(started()) == 4  # four work at once
    window.operations.cancel_all()
    wait_idle(qtbot, window)
    never_started = [name for name in stores if name not in started()]
    assert len(never_started) == 2  # the two still waiting for a turn did nothing
    items, _ = window.session.service.kube.list(NAMESPACES)
    namespaces = {n["metadata"]["name"] for n in items}
    assert not namespaces & {f"store-{name}" for name in never_started}


def test_the_window_stays_responsive_while_stores_provision(qtbot, window: MainWindow) -> None:
    stores = [f"load-{i}" for i in range(4)]
    beats: list[int] = []  # creates running at each heartbeat
    updates: list[int] = []  # creates running at each row update
    heartbeat = QTimer(window)
    heartbeat.timeout.connect(lambda: beats.append(len(window.operations.running())))
    heartbeat.start(20)
    window.model.dataChanged.connect(lambda *_: updates.append(len(window.operations.running())))
    for name in stores:
        create_with_dialog(qtbot, window, name)
    for name in stores:
        wait_phase(qtbot, window, name, Phase.READY)
    wait_idle(qtbot, window)
    heartbeat.stop()
    # The GUI thread kept serving its timer and the status watch while all four creates
    # (helm, keyring, the API) were in flight.
    assert len(stores) in beats
    assert len(stores) in updates


def test_the_window_remembers_its_filter_and_columns(
    qtbot, sim: Simulator, open_window: Callable[..., MainWindow]
) -> None:
    first = open_window(sim.kubeconfig, sim.context)
    wait_connected(qtbot, first)
    qtbot.keyClicks(first.filter_edit, "shop")
    first.table.setColumnWidth(Column.NAME, 222)
    first.close()
    assert not first.isVisible()
    again = open_window(sim.kubeconfig, sim.context)
    wait_connected(qtbot, again)
    assert again.filter_edit.text() == "shop"
    assert again.table.columnWidth(Column.NAME) == 222


def test_credentials_show_on_request_and_copy_to_the_clipboard(
    qtbot, window: MainWindow, data_dir: Path, sim: Simulator
) -> None:
    create_with_dialog(qtbot, window, "keys")
    wait_phase(qtbot, window, "keys", Phase.READY)
    wait_idle(qtbot, window)
    target = resolve_target(str(sim.kubeconfig), sim.context)
    kept = StoreService(target, settings=Settings(data_dir=data_dir)).credentials("keys")
    box = window.details.credentials
    assert box.password.text() == HIDDEN  # nothing read from the keyring until asked
    qtbot.mouseClick(box.reveal_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: box.password.text() == kept.admin_password, timeout=TIMEOUT_MS)
    assert box.email.text() == kept.admin_email
    qtbot.mouseClick(box.reveal_button, Qt.MouseButton.LeftButton)
    assert box.password.text() == HIDDEN
    window.commands.copy_password.trigger()
    qtbot.waitUntil(
        lambda: QGuiApplication.clipboard().text() == kept.admin_password, timeout=TIMEOUT_MS
    )
    assert "cleared in 30 s" in window.status_line.message()


def test_a_forwarded_store_shows_its_forward_in_the_details(
    qtbot, window: MainWindow, sim: Simulator
) -> None:
    window.commands.new_store.trigger()
    dialog = window.new_store_dialog
    qtbot.keyClicks(dialog.name_edit, "local")
    qtbot.mouseClick(dialog.advanced_toggle, Qt.MouseButton.LeftButton)
    access = dialog.option_widgets["access"]
    access.setCurrentIndex(access.findData("port-forward"))
    qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
    wait_phase(qtbot, window, "local", Phase.READY)
    wait_idle(qtbot, window)
    assert record(window, "local").forwarded
    details = window.details
    assert "starts when you open the store" in details.access.text()
    assert details.forward_button.isVisible()
    qtbot.mouseClick(details.forward_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "127.0.0.1:" in details.access.text(), timeout=TIMEOUT_MS)
    assert "open connection" in details.access.text()
    assert not details.forward_button.isVisible()
