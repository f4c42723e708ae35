"""The details pane: everything about the selected store.

Shows the row's record at once, then the pods, Kubernetes events and event log when
they arrive from a worker; logs and history are read when their tab is shown. Everything
sits in a scroll area: however much there is to say, the pane scrolls and never pushes
the window or the table. It never calls the cluster or the keyring: it emits requests.
"""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal, SignalInstance
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from storedesk.domain.models import Phase, StoreRecord
from storedesk.domain.status import describe_age
from storedesk.errors import NextStep
from storedesk.provisioning.events import LogEntry
from storedesk.ui.credentials_box import CredentialsBox
from storedesk.ui.details_views import EventLogView, EventsView, PodsView, pod_state
from storedesk.ui.history_tab import HistoryTab
from storedesk.ui.icons import phase_icon
from storedesk.ui.logs_tab import LogsTab
from storedesk.ui.palette import status_color
from storedesk.ui.store_model import engine_name, shown_status
from storedesk.ui.text import fix_html
from storedesk.ui.wrapping_text import WrappingText

if TYPE_CHECKING:
    from storedesk.provisioning.forwards import ForwardState
    from storedesk.provisioning.service import StoreDetails
    from storedesk.provisioning.upgrades import Upgrade

__all__ = ["DetailsPane", "pod_state"]

MIN_WIDTH = 300  # pixels: below this the pane scrolls sideways rather than squash
TABS_MIN_HEIGHT = 240  # pixels: room for a few rows of any tab; the pane scrolls for more


def _link(url: str | None) -> str:
    return f'<a href="{escape(url)}">{escape(url)}</a>' if url else "-"


def _wrapping(parent: QWidget) -> WrappingText:
    return WrappingText(parent)


def forward_text(state: ForwardState | None) -> str:
    """A port-forward's state in words."""
    if state is None:
        return "Storedesk's port-forward: starts when you open the store"
    if not state.listening:
        return "Storedesk's port-forward: stopped"
    count = state.connections
    text = (
        f"Storedesk's port-forward on 127.0.0.1:{state.port}, "
        f"{count} open connection{'s' if count != 1 else ''}"
    )
    return text + (f"; last problem: {state.problem}" if state.problem else "")


class DetailsPane(QStackedWidget):
    """A placeholder until a store is selected, then its details."""

    retry_requested = Signal(str)
    history_requested = Signal(str)
    delete_requested = Signal(str)
    reveal_requested = Signal(str)
    copy_password_requested = Signal(str)
    copy_text_requested = Signal(str)
    upgrade_requested = Signal(str)
    forward_requested = Signal(str)
    recover_requested = Signal(str)
    without_keyring_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.record: StoreRecord | None = None
        self.busy: str | None = None
        self.upgrade: Upgrade | None = None
        self.forward: ForwardState | None = None
        self._opened_on_logs = False  # a failed store opens on its failing container once
        self._now = datetime.now(UTC)
        self.setMinimumWidth(MIN_WIDTH)
        self.placeholder = QLabel("Select a store to see its details.", self)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.placeholder.setEnabled(False)
        self.addWidget(self.placeholder)
        self.scroller = QScrollArea(self)
        self.scroller.setObjectName("detailsScroll")
        self.scroller.setWidgetResizable(True)
        # Everything wraps to the pane's width; only a pane narrower than its buttons
        # scrolls sideways.
        self.scroller.setFrameShape(QFrame.Shape.NoFrame)
        page = QWidget(self.scroller)
        page.setObjectName("detailsPage")
        self.scroller.setWidget(page)
        self.addWidget(self.scroller)
        self.page = page

        self.title = QLabel(page)
        font = QFont(self.title.font())
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        self.title.setFont(font)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status_icon = QLabel(page)
        self.status = _wrapping(page)
        heading = QHBoxLayout()
        heading.addWidget(self.title)
        heading.addSpacing(8)
        heading.addWidget(self.status_icon)
        heading.addWidget(self.status, 1)
        self.loading = _wrapping(page)
        self.loading.setObjectName("detailsUpdated")
        self.loading.setEnabled(False)

        self.engine = QLabel(page)
        self.namespace = QLabel(page)
        self.created = QLabel(page)
        self.release = _wrapping(page)
        self.access = _wrapping(page)
        self.forward_button = QPushButton("Start port-forward", page)
        self.forward_button.setToolTip("Listen on 127.0.0.1 and forward to the store's pods")
        self.forward_button.clicked.connect(lambda: self._request(self.forward_requested))
        access_row = QHBoxLayout()
        access_row.addWidget(self.access, 1)
        access_row.addWidget(self.forward_button, 0, Qt.AlignmentFlag.AlignTop)
        self.storefront = QLabel(page)
        self.admin = QLabel(page)
        for link in (self.storefront, self.admin):
            link.setOpenExternalLinks(False)  # the window opens them: it says when it cannot
            link.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
            link.setWordWrap(True)
        facts = QFormLayout()
        facts.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        facts.addRow("Engine", self.engine)
        facts.addRow("Namespace", self.namespace)
        facts.addRow("Created", self.created)
        facts.addRow("Release", self.release)
        facts.addRow("Access", access_row)
        facts.addRow("Storefront", self.storefront)
        facts.addRow("Admin", self.admin)

        self.upgrade_box = QGroupBox("Upgrade available", page)
        self.upgrade_text = _wrapping(self.upgrade_box)
        self.upgrade_button = QPushButton("Upgrade…", self.upgrade_box)
        self.upgrade_button.setToolTip(
            "Install the chart this Storedesk ships; helm rolls back if it fails"
        )
        self.upgrade_button.clicked.connect(lambda: self._request(self.upgrade_requested))
        upgrade_layout = QHBoxLayout(self.upgrade_box)
        upgrade_layout.addWidget(self.upgrade_text, 1)
        upgrade_layout.addWidget(self.upgrade_button, 0, Qt.AlignmentFlag.AlignTop)
        self.upgrade_box.hide()

        self.problem = QGroupBox("What went wrong", page)
        self.problem_text = _wrapping(self.problem)
        self.problem_text.setObjectName("problemText")
        self.retry_button = QPushButton("Retry create", self.problem)
        self.retry_button.setToolTip(
            "Run create again: it converges the store and keeps its passwords"
        )
        self.logs_button = QPushButton("Show logs", self.problem)
        self.logs_button.setToolTip("The log of the container that fails")
        self.recover_button = QPushButton("Recover passwords", self.problem)
        self.recover_button.setToolTip(
            "Read the store's passwords back from the cluster into the keyring"
        )
        self.without_keyring_button = QPushButton("Retry without keyring", self.problem)
        self.without_keyring_button.setToolTip(
            "Run create again, keeping the passwords only in the store's Secret"
        )
        self.delete_button = QPushButton("Delete…", self.problem)
        self.retry_button.clicked.connect(lambda: self._request(self.retry_requested))
        self.delete_button.clicked.connect(lambda: self._request(self.delete_requested))
        self.recover_button.clicked.connect(lambda: self._request(self.recover_requested))
        self.without_keyring_button.clicked.connect(
            lambda: self._request(self.without_keyring_requested)
        )
        self.logs_button.clicked.connect(self.show_failing_logs)
        fixes = QHBoxLayout()
        for button in (
            self.retry_button,
            self.without_keyring_button,
            self.recover_button,
            self.logs_button,
            self.delete_button,
        ):
            fixes.addWidget(button)
        fixes.addStretch(1)
        problem_layout = QVBoxLayout(self.problem)
        problem_layout.addWidget(self.problem_text)
        problem_layout.addLayout(fixes)

        self.credentials = CredentialsBox(page)
        self.credentials.reveal_requested.connect(lambda: self._request(self.reveal_requested))
        self.credentials.copy_password_requested.connect(
            lambda: self._request(self.copy_password_requested)
        )
        self.credentials.copy_user_requested.connect(self.copy_text_requested)

        self.tabs = QTabWidget(page)
        self.tabs.setMinimumHeight(TABS_MIN_HEIGHT)
        self.tabs.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)
        self.pods = PodsView(self.tabs)
        self.logs = LogsTab(self.tabs)
        self.logs.copy_requested.connect(self.copy_text_requested)
        self.events = EventsView(self.tabs)
        self.log = EventLogView(self.tabs)
        self.history = HistoryTab(self.tabs)
        self.tabs.addTab(self.pods, "Pods")
        self.tabs.addTab(self.logs, "Logs")
        self.tabs.addTab(self.events, "Kubernetes events")
        self.tabs.addTab(self.log, "Event log")
        self.tabs.addTab(self.history, "History")
        # The history costs a helm call: it is read when its tab is shown, not on every look.
        self.tabs.currentChanged.connect(self._tab_shown)

        layout = QVBoxLayout(page)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addLayout(heading)
        layout.addWidget(self.loading)
        layout.addLayout(facts)
        layout.addWidget(self.upgrade_box)
        layout.addWidget(self.problem)
        layout.addWidget(self.credentials)
        layout.addWidget(self.tabs, 1)

    # -- what the window tells the pane --------------------------------------------------------

    def show_record(
        self,
        record: StoreRecord | None,
        busy: str | None = None,
        now: datetime | None = None,
        upgrade: Upgrade | None = None,
    ) -> None:
        """Show `record` (None: nothing selected); a different store clears the rest."""
        if now is not None:
            self._now = now
        if record is None:
            self.record = None
            self.setCurrentIndex(0)
            return
        if self.record is None or self.record.name != record.name:
            self._clear(record.name)
        self.record, self.busy, self.upgrade = record, busy, upgrade
        self.setCurrentIndex(1)
        status = record.status
        self.title.setText(record.name)
        text, phase = shown_status(status, busy)
        self.status_icon.setPixmap(phase_icon(phase).pixmap(16, 16))
        shown = f"<b>{escape(text)}</b>"
        if busy and phase == status.phase:
            shown += f" &nbsp;({escape(busy)}…)"
        if status.detail and status.phase != Phase.FAILED:
            shown += f"<br>{escape(status.detail)}"
        self.status.setText(shown)
        self.engine.setText(engine_name(record.engine))
        self.namespace.setText(record.namespace)
        self._show_created()
        self._show_release()
        self._show_access()
        self.storefront.setText(_link(record.url))
        self.admin.setText(_link(record.admin_url))
        self._show_problem(busy)

    def show_details(self, details: StoreDetails) -> None:
        """Fill pods, events and the event log of the shown store."""
        if self.record is None or details.record.name != self.record.name:
            return
        self.pods.show_pods(details.pods)
        self.logs.set_pods(details.pods)
        self.events.show_events(details.events, self._now)
        self.log.show_entries(details.log)
        self.loading.setText(f"Updated {datetime.now().strftime('%H:%M:%S')}")
        failing = self.logs.failing
        self.logs_button.setEnabled(bool(details.pods))
        if (
            not self._opened_on_logs
            and self.record.status.phase == Phase.FAILED
            and failing is not None
        ):
            self._opened_on_logs = True
            self.tabs.setCurrentWidget(self.logs)
            self.logs.choose(*failing)

    def show_problem(self, message: str) -> None:
        """Loading the details failed."""
        self.loading.setText(f"Could not load the details: {message}")

    def show_upgrade(self, upgrade: Upgrade | None) -> None:
        """Whether the shown store can have a newer chart."""
        self.upgrade = upgrade
        self._show_release()

    def show_forward(self, state: ForwardState) -> None:
        """A forward's state changed (shown if it is the shown store's)."""
        if self.record is not None and state.store == self.record.name:
            self.forward = state
            self._show_access()

    def show_failing_logs(self) -> None:
        """The Logs tab, on the failing container (or the first one)."""
        self.tabs.setCurrentWidget(self.logs)
        if self.logs.failing is not None:
            self.logs.choose(*self.logs.failing)

    def append_log(self, entry: LogEntry) -> None:
        """A step of an operation running on the shown store, live."""
        if self.record is not None and entry.store == self.record.name:
            self.log.append(entry)

    def tick(self, now: datetime) -> None:
        """The window's clock advanced: ages follow it (the table's clock, so both agree)."""
        self._now = now
        if self.record is not None:
            self._show_created()
            self.events.tick(now)

    # -- internals -----------------------------------------------------------------------------

    def _show_created(self) -> None:
        record = self.record
        if record is None or record.created is None:
            self.created.setText("-")
            return
        self.created.setText(
            record.created.astimezone().strftime("%Y-%m-%d %H:%M")
            + f" ({describe_age(record.created, self._now)} ago)"
        )

    def _show_release(self) -> None:
        record, upgrade = self.record, self.upgrade
        if record is None:
            return
        if record.release_revision is None:
            self.release.setText("-")
        else:
            self.release.setText(
                f"revision {record.release_revision} ({record.release_status or 'unknown'})"
                + (f", chart {upgrade.deployed_chart}" if upgrade else "")
            )
        self.upgrade_box.setVisible(upgrade is not None)
        if upgrade is not None:
            self.upgrade_text.setText(
                f"This store runs chart <b>{escape(upgrade.deployed_chart)}</b>; this Storedesk "
                f"ships <b>{escape(upgrade.shipped_chart)}</b>."
            )
            self.upgrade_button.setEnabled(self.busy is None)

    def _show_access(self) -> None:
        record = self.record
        if record is None:
            return
        if record.forwarded:
            self.access.setText(forward_text(self.forward))
            running = self.forward is not None and self.forward.listening
            self.forward_button.setVisible(not running)
        else:
            self.access.setText("The cluster's ingress controller")
            self.forward_button.hide()

    def _show_problem(self, busy: str | None) -> None:
        record = self.record
        assert record is not None
        status = record.status
        failed = status.phase == Phase.FAILED
        self.problem.setVisible(failed)
        if failed:
            colour = status_color(Phase.FAILED.value).name()
            parts = [f'<b style="color:{colour}">{escape(status.reason or "failed")}</b>']
            if status.detail:
                parts.append(escape(status.detail))
            if status.fix:
                parts.append(f"<b>Suggested fix:</b> {fix_html(status.fix)}")
            self.problem_text.setText("<br>".join(parts))
        # The status's next steps, as this window offers them: buttons.
        steps = set(status.next_steps)
        self.retry_button.setVisible(NextStep.RETRY_CREATE in steps)
        self.without_keyring_button.setVisible(NextStep.WITHOUT_KEYRING in steps)
        self.recover_button.setVisible(NextStep.RECOVER_CREDENTIALS in steps)
        self.delete_button.setVisible(bool({NextStep.DELETE, NextStep.RETRY_DELETE} & steps))
        self.logs_button.setVisible(failed and record.status.pods_total > 0)
        for button in (
            self.retry_button,
            self.without_keyring_button,
            self.recover_button,
            self.delete_button,
        ):
            button.setEnabled(busy is None)

    def _tab_shown(self, index: int) -> None:
        if self.tabs.widget(index) is self.history and self.record is not None:
            self.history_requested.emit(self.record.name)

    def _clear(self, name: str) -> None:
        self.upgrade, self.forward = None, None
        self._opened_on_logs = False
        self.history.clear(name)
        self.logs.clear(name)
        if self.tabs.currentWidget() is self.history:
            self.history_requested.emit(name)
        self.pods.clear()
        self.events.clear()
        self.log.clear()
        self.credentials.reset()
        self.loading.setText(f"Loading the details of {name}…")
        self.scroller.verticalScrollBar().setValue(0)

    def _request(self, signal: SignalInstance) -> None:
        if self.record is not None:
            signal.emit(self.record.name)
