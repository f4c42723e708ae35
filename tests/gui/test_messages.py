"""Messages a person reads once, and only while they are true (issue 15 #8-#11, #13,
#14, #16, #18): the real window against the simulator, with real helm."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QTextDocumentFragment

from storedesk.domain.models import Phase
from storedesk.sim import Simulator
from storedesk.ui.icons import phase_icon
from storedesk.ui.main_window import MainWindow
from storedesk.ui.session import Connection
from storedesk.ui.store_model import Column
from tests.gui.driver import (
    TIMEOUT_MS,
    create_with_dialog,
    record,
    status_cell,
    wait_connected,
    wait_idle,
    wait_phase,
)

pytestmark = [pytest.mark.gui, pytest.mark.helm, pytest.mark.keyring]


def plain(text: str) -> str:
    """A label's rich text as the reader sees it."""
    return QTextDocumentFragment.fromHtml(text).toPlainText()


def shown_texts(window: MainWindow) -> list[str]:
    """What the window says, wherever it says it: banners, status line, details."""
    texts = [window.status_line.message()]
    for banner in (window.banner, window.notice):
        if banner.isVisible():
            texts.append(plain(banner.message.text()))
    if window.details.problem.isVisible():
        texts.append(plain(window.details.problem_text.text()))
    return texts


def wait_failed(qtbot, window: MainWindow, name: str) -> None:
    qtbot.waitUntil(lambda: status_cell(window, name).startswith("Failed"), timeout=TIMEOUT_MS)


def test_a_failure_is_said_once_and_with_buttons_not_commands(
    qtbot, window: MainWindow, sim: Simulator
) -> None:
    # #9: the same text in the banner, the status bar and the details; CLI commands.
    sim.faults.fail_image("*wordpress*", "ImagePullBackOff")
    create_with_dialog(qtbot, window, "once")
    wait_failed(qtbot, window, "once")
    wait_idle(qtbot, window)
    qtbot.waitUntil(window.notice.isVisible, timeout=TIMEOUT_MS)
    detail = record(window, "once").status.detail
    assert detail
    texts = shown_texts(window)
    assert sum(detail in text for text in texts) == 1, texts
    assert detail in plain(window.details.problem_text.text())  # said where it belongs
    assert "Could not create once" in plain(window.notice.message.text())
    assert "Could not" not in window.status_line.message()
    for text in texts:
        assert "`" not in text and "storedesk create" not in text and "kubectl" not in text
    assert window.details.retry_button.isVisible()
    assert window.details.logs_button.isVisible()


def test_a_crash_loop_offers_its_logs_as_a_button(
    qtbot, window: MainWindow, sim: Simulator
) -> None:
    # #9: "read its logs (`kubectl logs ...`)" beside the window's own buttons.
    sim.faults.fail_image("*mariadb*", "CrashLoopBackOff")
    create_with_dialog(qtbot, window, "crashy")
    qtbot.waitUntil(
        lambda: status_cell(window, "crashy") == "Failed: CrashLoopBackOff", timeout=TIMEOUT_MS
    )
    problem = window.details.problem_text.text()
    assert "logs" in problem and "kubectl" not in problem and "`" not in problem
    qtbot.mouseClick(window.details.logs_button, Qt.MouseButton.LeftButton)
    assert window.details.tabs.currentWidget() is window.details.logs
    qtbot.waitUntil(
        lambda: (window.details.logs.chosen() or ("", ""))[1] == "mariadb", timeout=TIMEOUT_MS
    )
    qtbot.waitUntil(
        lambda: "CrashLoopBackOff" in window.details.logs.text.toPlainText(), timeout=TIMEOUT_MS
    )


def test_a_retry_that_succeeds_clears_the_old_failure_everywhere(
    qtbot, window: MainWindow, sim: Simulator
) -> None:
    # #8: the red "Could not create" banner stayed after a retry succeeded, and a retrying
    # store read "Failed: ErrImagePull (creating…)".
    sim.faults.fail_image("*wordpress*", "ImagePullBackOff")
    create_with_dialog(qtbot, window, "flaky")
    wait_failed(qtbot, window, "flaky")
    wait_idle(qtbot, window)
    qtbot.waitUntil(window.notice.isVisible, timeout=TIMEOUT_MS)
    sim.faults.clear_image_failures()
    seen: list[str] = []
    window.model.dataChanged.connect(
        lambda *_: seen.append(status_cell(window, "flaky")) if window.model.busy("flaky") else None
    )
    qtbot.mouseClick(window.details.retry_button, Qt.MouseButton.LeftButton)
    assert window.model.busy("flaky") == "creating"
    assert not status_cell(window, "flaky").startswith("Failed")
    assert status_cell(window, "flaky").startswith("Creating…")
    row = window.model.row_of("flaky")
    icon = window.model.index(row, Column.STATUS).data(Qt.ItemDataRole.DecorationRole)
    assert icon.cacheKey() == phase_icon(Phase.PROVISIONING).cacheKey()
    assert "Failed" not in window.details.status.text()
    assert not window.notice.isVisible()  # its failure is history once the retry runs
    wait_phase(qtbot, window, "flaky", Phase.READY)
    wait_idle(qtbot, window)
    assert not window.notice.isVisible()
    assert not any(text.startswith("Failed") for text in seen), seen


def test_the_quit_question_goes_once_the_create_it_names_has_finished(
    qtbot, window: MainWindow
) -> None:
    # #8: "Still running: create X" stayed open after the create finished.
    create_with_dialog(qtbot, window, "late")
    window.close()
    prompt = window.close_prompt
    assert prompt is not None and prompt.isVisible()
    assert "create late" in prompt.text()
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: window.close_prompt is None, timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=TIMEOUT_MS)  # as the user asked


def test_an_outages_errors_are_forgotten_once_the_cluster_answers(
    qtbot, window: MainWindow, sim: Simulator
) -> None:
    # #8: the status bar kept a 503 error after the cluster had recovered; #16: New store
    # stayed enabled while the cluster was unreachable.
    create_with_dialog(qtbot, window, "steady")
    wait_phase(qtbot, window, "steady", Phase.READY)
    wait_idle(qtbot, window)
    assert window.commands.new_store.isEnabled()
    sim.set_outage("503")
    window.commands.refresh.trigger()  # reads the details again: they fail
    qtbot.waitUntil(
        lambda: "Could not load the details" in window.details.loading.text(), timeout=TIMEOUT_MS
    )
    qtbot.waitUntil(
        lambda: window.session.state.connection == Connection.UNREACHABLE, timeout=TIMEOUT_MS
    )
    assert not window.commands.new_store.isEnabled()
    assert "503" not in window.status_line.message()  # said in the details, once
    sim.set_outage(None)
    window.commands.refresh.trigger()
    wait_connected(qtbot, window)
    qtbot.waitUntil(lambda: window.commands.new_store.isEnabled(), timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: window.details.loading.text().startswith("Updated"), timeout=TIMEOUT_MS)
    assert "503" not in " ".join(shown_texts(window))


def test_an_outage_logs_no_retry_warnings(
    qtbot, window: MainWindow, sim: Simulator, caplog: pytest.LogCaptureFixture
) -> None:
    # #18: the terminal filled with urllib3 "Retrying" warnings during an outage.
    caplog.set_level(logging.WARNING, logger="urllib3")
    sim.set_outage("refuse")
    qtbot.waitUntil(
        lambda: window.session.state.connection == Connection.UNREACHABLE, timeout=TIMEOUT_MS
    )
    qtbot.wait(3_000)  # the monitor reconnects every few seconds meanwhile
    sim.set_outage(None)
    assert not [r for r in caplog.records if "Retrying" in r.getMessage()]


def test_a_pod_that_cannot_pull_its_image_has_the_failure_icon(
    qtbot, window: MainWindow, sim: Simulator
) -> None:
    # #10: a pod in ImagePullBackOff had the blue "pending" clock.
    sim.faults.fail_image("*wordpress*", "ImagePullBackOff")
    create_with_dialog(qtbot, window, "nopull")
    wait_failed(qtbot, window, "nopull")
    pods = window.details.pods

    def wordpress_item():
        items = [pods.topLevelItem(i) for i in range(pods.topLevelItemCount())]
        return next((i for i in items if "wordpress" in i.text(0)), None)

    qtbot.waitUntil(
        lambda: wordpress_item() is not None and "ImagePull" in wordpress_item().text(3),
        timeout=TIMEOUT_MS,
    )
    icons = [wordpress_item().icon(c).cacheKey() for c in range(pods.columnCount())]
    assert phase_icon(Phase.FAILED).cacheKey() in icons
    assert phase_icon(Phase.PROVISIONING).cacheKey() not in icons


def test_ages_move_every_second_and_the_table_and_details_agree(qtbot, window: MainWindow) -> None:
    # #11: ages changed every 15 s only, and the table and the details disagreed.
    create_with_dialog(qtbot, window, "clock")
    wait_phase(qtbot, window, "clock", Phase.READY)
    row = window.model.row_of("clock")
    age = window.model.index(row, Column.AGE)
    first = age.data()
    qtbot.waitUntil(lambda: age.data() != first, timeout=2_500)
    for _ in range(3):
        qtbot.wait(700)
        assert f"({age.data()} ago)" in window.details.created.text()


def test_the_table_says_why_it_is_empty(
    qtbot, tmp_path: Path, sim: Simulator, open_window: Callable[..., MainWindow]
) -> None:
    # #13: nothing was said for no cluster, no stores yet, or no match for the filter;
    # "N stores" stayed while the filter showed none; Escape did not clear the filter.
    lost = open_window(tmp_path / "no-kubeconfig")
    qtbot.waitUntil(
        lambda: lost.session.state.connection == Connection.NO_CLUSTER, timeout=TIMEOUT_MS
    )
    empty = lost.table.empty_state
    assert empty.isVisible() and "No cluster" in empty.label.text()
    assert empty.button.isVisible() and empty.button.text() == "Start demo cluster"

    window = open_window(sim.kubeconfig, sim.context)
    wait_connected(qtbot, window)
    empty = window.table.empty_state
    qtbot.waitUntil(lambda: "No stores" in empty.label.text(), timeout=TIMEOUT_MS)
    assert empty.isVisible() and sim.context in empty.label.text()
    assert empty.button.text() == "New store…"
    qtbot.mouseClick(empty.button, Qt.MouseButton.LeftButton)
    assert window.new_store_dialog is not None and window.new_store_dialog.isVisible()
    qtbot.keyClicks(window.new_store_dialog.name_edit, "only")
    qtbot.mouseClick(window.new_store_dialog.create_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not empty.isVisible(), timeout=TIMEOUT_MS)
    assert window.store_count.text() == "1 store"

    window.filter_edit.setFocus()
    qtbot.keyClicks(window.filter_edit, "zzz")
    assert empty.isVisible() and "No store matches" in empty.label.text()
    assert window.store_count.text() == "0 of 1 store shown"
    qtbot.keyClick(window.filter_edit, Qt.Key.Key_Escape)
    assert window.filter_edit.text() == ""
    assert not empty.isVisible()
    assert window.store_count.text() == "1 store"
    wait_idle(qtbot, window)


def test_a_link_no_browser_can_open_is_offered_to_copy(
    qtbot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # #14: with no browser, opening a link did nothing in the window (a line on stderr).
    tried = tmp_path / "xdg-open-ran"
    fake = tmp_path / "bin" / "xdg-open"
    fake.parent.mkdir()
    fake.write_text(
        f'#!/bin/sh\necho "$1" > {tried}\necho "xdg-open: no method available" >&2\nexit 3\n'
    )
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ['PATH']}")
    window.open_link("http://shop.localhost/")
    qtbot.waitUntil(window.notice.isVisible, timeout=TIMEOUT_MS)
    assert tried.read_text().strip() == "http://shop.localhost/"  # it really asked
    said = window.notice.message.text()
    assert "No browser opened" in said and "http://shop.localhost/" in said
    assert "no program to open links" in said
    qtbot.mouseClick(window.notice.button("Copy the link"), Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == "http://shop.localhost/"
    assert not window.notice.isVisible()
