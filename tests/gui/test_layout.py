"""Layout, asserted as geometry (issue 15 #1-#5, #7): the table keeps its share of the
window, the details pane scrolls instead of pushing the window, dialogs grow to show
their whole message, nothing overlaps, and the window fits the screen."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import QApplication, QLabel, QWidget

from storedesk.domain import names
from storedesk.domain.models import (
    ContainerFact,
    EventFact,
    Phase,
    PodFact,
    StoreRecord,
    StoreStatus,
)
from storedesk.errors import NextStep
from storedesk.provisioning.service import StoreDetails
from storedesk.ui.main_window import MainWindow
from storedesk.ui.new_store_dialog import NewStoreDialog
from storedesk.ui.screen_fit import available, fits
from storedesk.ui.session import Connection
from tests.gui.driver import TIMEOUT_MS

pytestmark = pytest.mark.gui

NOW = datetime.now(UTC)
LONG_ERROR = (
    "cannot reach the cluster of context 'storedesk-sim' at http://127.0.0.1:40321: the "
    "cluster's API server at http://127.0.0.1:40321 is not answering (503): the simulator "
    "is in an outage: every request gets 503 Service Unavailable until it ends; "
    "/api/v1/namespaces/store-launch-party/pods?labelSelector=storedesk.io%2Fstore%3D"
    "launch-party-with-a-long-query-string-that-never-breaks"
)
TABLE_SHARE = 0.4  # the least part of the splitter the store table keeps


def failed_record(name: str = "launch-party") -> StoreRecord:
    image = "docker.io/library/wordpress:7.1.1-php8.3-apache"
    return StoreRecord(
        name,
        "woocommerce",
        f"store-{name}",
        StoreStatus(
            Phase.FAILED,
            reason="ImagePullBackOff",
            detail=f"pod {name}-wordpress-66b8bb775-5jj9l, container wordpress: cannot pull "
            f'image {image}: Back-off pulling image "{image}": ErrImagePull: rpc error: code '
            f'= NotFound desc = failed to pull and unpack image "{image}": failed to resolve '
            f'reference "{image}": {image}: not found',
            fix="check that the image exists and the cluster can reach its registry, then "
            "retry the create, or delete the store",
            pods_ready=1,
            pods_total=2,
            next_steps=(NextStep.RETRY_CREATE, NextStep.DELETE),
        ),
        url=f"http://{name}.localhost/",
        admin_url=f"http://{name}.localhost/wp-admin/",
        created=NOW - timedelta(minutes=3),
        release_revision=1,
        release_status="deployed",
    )


def details_of(record: StoreRecord) -> StoreDetails:
    pod = PodFact(
        f"{record.name}-wordpress-66b8bb775-5jj9l",
        record.namespace,
        record.name,
        "Pending",
        ready=False,
        containers=(
            ContainerFact(
                "wordpress",
                ready=False,
                waiting_reason="ImagePullBackOff",
                waiting_message="Back-off pulling image",
                image="wordpress:7.1.1-php8.3-apache",
            ),
        ),
    )
    database = PodFact(
        f"{record.name}-database-5f7d9c8b6d-x2k4q",
        record.namespace,
        record.name,
        "Running",
        ready=True,
        containers=(ContainerFact("mariadb", ready=True, image="mariadb:11.4"),),
    )
    events = [
        EventFact(
            record.namespace,
            "Pod",
            pod.name,
            "Failed",
            f'Failed to pull image "wordpress:7.1.1-php8.3-apache": {record.status.detail}',
            type="Warning",
            count=4,
            last_seen=NOW,
        )
    ]
    return StoreDetails(record, [pod, database], events, [])


@pytest.fixture
def offline_window(qtbot, tmp_path: Path, open_window: Callable[..., MainWindow]) -> MainWindow:
    """The real window with no cluster: rows and details are set by the test."""
    window = open_window(tmp_path / "no-kubeconfig")
    qtbot.waitUntil(
        lambda: window.session.state.connection == Connection.NO_CLUSTER, timeout=TIMEOUT_MS
    )
    return window


def show_failed_store(qtbot, window: MainWindow, record: StoreRecord) -> None:
    window.model.set_records([record])
    window.table.select(record.name)
    window.details.show_details(details_of(record))
    qtbot.wait(50)


def table_share(window: MainWindow) -> float:
    return window.table.width() / window.splitter.width()


def full_height(label: QLabel) -> bool:
    """Whether a word-wrapped label has the height its text needs at its width."""
    return label.height() >= label.heightForWidth(label.width())


def overlapping(widgets: list[QWidget]) -> list[tuple[str, str]]:
    """Pairs of visible widgets (in one parent's coordinates) whose rectangles overlap."""
    shown = [w for w in widgets if w.isVisible()]
    pairs = []
    for i, a in enumerate(shown):
        for b in shown[i + 1 :]:
            if QRect(a.geometry()).intersects(b.geometry()):
                pairs.append(
                    (a.objectName() or type(a).__name__, b.objectName() or type(b).__name__)
                )
    return pairs


def test_a_long_error_in_the_details_wraps_and_never_pushes_the_window(
    qtbot, offline_window: MainWindow
) -> None:
    # #1: an outage's "Could not load the details: ..." grew the window past the screen.
    window = offline_window
    before = window.size()
    show_failed_store(qtbot, window, failed_record())
    window.details.show_problem(LONG_ERROR)
    qtbot.wait(100)
    assert window.size() == before
    assert fits(window)
    assert table_share(window) >= TABLE_SHARE
    assert full_height(window.details.loading)


def test_a_failed_stores_reason_and_fix_show_in_full_at_the_default_size(
    qtbot, offline_window: MainWindow
) -> None:
    # #2: the "What went wrong" text was cut mid-line and the fix never showed.
    window = offline_window
    show_failed_store(qtbot, window, failed_record())
    details = window.details
    assert details.problem.isVisible()
    assert "Suggested fix" in details.problem_text.text()
    assert full_height(details.problem_text)
    # Whatever does not fit scrolls: the content keeps its natural height.
    page = details.page
    assert page.height() >= page.minimumSizeHint().height()


@pytest.mark.parametrize("size", [(640, 400), (1280, 760)])
def test_nothing_in_the_details_overlaps_or_is_squashed(
    qtbot, offline_window: MainWindow, size: tuple[int, int]
) -> None:
    # #2: at 640x400 rows overlapped, the admin box was empty, "Updated" hit the tabs.
    window = offline_window
    window.resize(*size)
    show_failed_store(qtbot, window, failed_record())
    details = window.details
    details.show_problem("")  # "Updated ..." text, where it used to overlap the tabs
    details.loading.setText("Updated 12:00:00")
    qtbot.wait(100)
    children = [
        details.title,
        details.loading,
        details.problem,
        details.credentials,
        details.tabs,
        details.upgrade_box,
    ]
    assert overlapping(children) == []
    for widget in (details.problem, details.credentials, details.tabs):
        assert widget.height() >= widget.minimumSizeHint().height(), widget
    assert full_height(details.problem_text)
    assert details.credentials.password.isVisible()  # the admin box is not empty
    assert table_share(window) >= TABLE_SHARE or window.table.width() >= window.table.minimumWidth()
    scroll = details.scroller.verticalScrollBar()
    if size == (640, 400):
        assert scroll.maximum() > 0  # it scrolls rather than squashes


def test_pod_names_show_in_full_and_event_messages_wrap(qtbot, offline_window: MainWindow) -> None:
    # #7: pod names were cut while State sat half empty; messages scrolled sideways.
    window = offline_window
    window.resize(1280, 760)  # the default size (the test screen is smaller)
    window.splitter.setSizes([700, 580])  # as the window lays itself out by default
    show_failed_store(qtbot, window, failed_record())
    details = window.details
    details.tabs.setCurrentWidget(details.pods)
    qtbot.wait(50)
    pods = details.pods
    metrics = pods.fontMetrics()
    item = pods.topLevelItem(0)
    assert pods.columnWidth(0) >= metrics.horizontalAdvance(item.text(0)) + 16
    assert pods.columnWidth(3) <= metrics.horizontalAdvance("ImagePullBackOff") + 80
    details.tabs.setCurrentWidget(details.events)
    qtbot.wait(50)
    events = details.events
    assert events.horizontalScrollBar().maximum() == 0
    row = events.visualItemRect(events.topLevelItem(0))
    assert row.height() > 2 * events.fontMetrics().height()  # the long message wraps


def test_the_event_log_is_a_list_with_an_outcome_per_step(
    qtbot, offline_window: MainWindow
) -> None:
    # #7: the event log was a plain monospace dump.
    from storedesk.provisioning.events import LogEntry

    window = offline_window
    record = failed_record()
    entries = [
        LogEntry(NOW, record.name, "create", "helm", "started", "helm upgrade --install"),
        LogEntry(NOW, record.name, "create", "helm", "failed", "store failed", 3.2, "helm"),
    ]
    window.model.set_records([record])
    window.table.select(record.name)
    window.details.show_details(StoreDetails(record, [], [], entries))
    log = window.details.log
    assert log.columnCount() == 5
    assert log.headerItem().text(3) == "Outcome"
    assert [log.topLevelItem(i).text(3) for i in range(2)] == ["started", "failed"]
    assert "(3.2 s)" in log.topLevelItem(1).text(4)


def test_the_new_store_dialog_grows_to_show_its_whole_message(qtbot) -> None:
    # #3: "is 25 characters long;" with the limit hidden; squashed fields; a cut label.
    dialog = NewStoreDialog(existing=[])
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.name_edit, "a" * 25)
    qtbot.wait(50)
    problem = dialog.name_problem
    assert problem.text() == names.name_problem("a" * 25)
    assert full_height(problem)
    assert dialog.name_edit.height() >= dialog.name_edit.minimumSizeHint().height()
    qtbot.mouseClick(dialog.advanced_toggle, Qt.MouseButton.LeftButton)
    qtbot.wait(50)
    for widget in dialog.option_widgets.values():
        if widget.isVisible():
            assert widget.height() >= widget.minimumSizeHint().height(), widget
    tls = dialog.option_widgets["tls"]
    assert tls.width() >= tls.sizeHint().width()  # its text (if any) is never cut
    helps = [w for w in dialog.option_rows["tls"] if isinstance(w, QLabel) and w.wordWrap()]
    assert helps and all(full_height(label) for label in helps)
    assert "HTTPS" in " ".join(label.text() for label in helps)
    assert dialog.height() <= available(dialog).height()


def test_the_status_message_never_runs_into_the_store_count(
    qtbot, offline_window: MainWindow
) -> None:
    # #4: a long status bar message ran into the "N stores" label.
    window = offline_window
    window.status_line.show_message("Could not do something: " + LONG_ERROR * 2)
    qtbot.wait(50)
    line, count = window.status_line, window.store_count
    right_edge = line.mapTo(window, line.rect().topRight()).x()
    assert right_edge < count.mapTo(window, count.rect().topLeft()).x()
    assert line.text().endswith("…")
    assert line.toolTip().startswith("Could not do something")


def test_the_window_fits_the_screen_at_its_default_size(qtbot, offline_window: MainWindow) -> None:
    # #5: the default window (1280x760) was larger than a smaller screen.
    window = offline_window
    screen = available(window)
    assert fits(window), (window.frameGeometry(), screen)
    assert window.width() <= 1280 and window.height() <= 760


def test_a_remembered_size_larger_than_the_screen_is_clamped(
    qtbot, offline_window: MainWindow, open_window: Callable[..., MainWindow], tmp_path: Path
) -> None:
    window = offline_window
    screen = available(window)
    window.resize(screen.width() + 600, screen.height() + 400)
    window.close()  # remembered as too large
    again = open_window(tmp_path / "no-kubeconfig")
    qtbot.wait(50)
    assert fits(again)


def test_the_window_can_be_small_without_losing_the_table(
    qtbot, offline_window: MainWindow
) -> None:
    window = offline_window
    window.resize(640, 400)
    show_failed_store(qtbot, window, failed_record())
    window.details.show_problem(LONG_ERROR)
    qtbot.wait(100)
    assert window.width() <= 700
    assert window.table.width() >= window.table.minimumWidth()
    assert window.table.height() >= 100
    QApplication.processEvents()
