"""The details pane: everything about the selected store.

Shows the row's record at once, then the pods, Kubernetes events and event log when
they arrive from a worker. It never calls the cluster or the keyring: it emits requests.
"""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal, SignalInstance
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QStackedWidget,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from storedesk.domain.models import Phase, PodFact, StoreRecord
from storedesk.domain.status import describe_age, status_text
from storedesk.errors import NextStep
from storedesk.provisioning.events import LogEntry
from storedesk.ui.credentials_box import CredentialsBox
from storedesk.ui.history_tab import HistoryTab
from storedesk.ui.icons import phase_icon
from storedesk.ui.palette import status_color
from storedesk.ui.store_model import engine_name

if TYPE_CHECKING:
    from storedesk.provisioning.service import StoreDetails


MAX_COLUMN = 170  # pixels: the widest a pod or event column grows


def _link(url: str | None) -> str:
    return f'<a href="{escape(url)}">{escape(url)}</a>' if url else "-"


def pod_state(pod: PodFact) -> str:
    """What a pod is doing, as `kubectl get pods` would say it."""
    if pod.deleting:
        return "Terminating"
    waiting = next((c.waiting_reason for c in pod.containers if c.waiting_reason), None)
    return waiting or pod.phase


class DetailsPane(QStackedWidget):
    """A placeholder until a store is selected, then its details."""

    retry_requested = Signal(str)
    history_requested = Signal(str)
    delete_requested = Signal(str)
    reveal_requested = Signal(str)
    copy_password_requested = Signal(str)
    copy_text_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.record: StoreRecord | None = None
        self.placeholder = QLabel("Select a store to see its details.", self)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setEnabled(False)
        self.addWidget(self.placeholder)
        page = QWidget(self)
        self.addWidget(page)

        self.title = QLabel(page)
        font = QFont(self.title.font())
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        self.title.setFont(font)
        self.status_icon = QLabel(page)
        self.status = QLabel(page)
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        heading = QHBoxLayout()
        heading.addWidget(self.title)
        heading.addSpacing(8)
        heading.addWidget(self.status_icon)
        heading.addWidget(self.status, 1)

        self.engine = QLabel(page)
        self.namespace = QLabel(page)
        self.created = QLabel(page)
        self.storefront = QLabel(page)
        self.admin = QLabel(page)
        for link in (self.storefront, self.admin):
            link.setOpenExternalLinks(True)
            link.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        facts = QFormLayout()
        facts.addRow("Engine", self.engine)
        facts.addRow("Namespace", self.namespace)
        facts.addRow("Created", self.created)
        facts.addRow("Storefront", self.storefront)
        facts.addRow("Admin", self.admin)

        self.problem = QGroupBox("What went wrong", page)
        self.problem_text = QLabel(self.problem)
        self.problem_text.setWordWrap(True)
        self.problem_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.retry_button = QPushButton("Retry create", self.problem)
        self.retry_button.setToolTip(
            "Run create again: it converges the store and keeps its passwords"
        )
        self.delete_button = QPushButton("Delete…", self.problem)
        self.retry_button.clicked.connect(lambda: self._request(self.retry_requested))
        self.delete_button.clicked.connect(lambda: self._request(self.delete_requested))
        fixes = QHBoxLayout()
        fixes.addWidget(self.retry_button)
        fixes.addWidget(self.delete_button)
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
        self.tabs.setMinimumHeight(180)
        self.pods = QTreeWidget(self.tabs)
        self.pods.setHeaderLabels(["Pod", "Ready", "Restarts", "State"])
        self.events = QTreeWidget(self.tabs)
        self.events.setHeaderLabels(["Last seen", "Type", "Reason", "Object", "Message"])
        self.log = QPlainTextEdit(self.tabs)
        self.log.setReadOnly(True)
        self.log.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.log.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        for tree in (self.pods, self.events):
            tree.setRootIsDecorated(False)
            tree.setUniformRowHeights(True)
            tree.setAlternatingRowColors(True)
        self.tabs.addTab(self.pods, "Pods")
        self.tabs.addTab(self.events, "Kubernetes events")
        self.tabs.addTab(self.log, "Event log")
        self.history = HistoryTab(self.tabs)
        self.tabs.addTab(self.history, "History")
        # The history costs a helm call: it is read when its tab is shown, not on every look.
        self.tabs.currentChanged.connect(self._tab_shown)
        self.loading = QLabel(page)
        self.loading.setEnabled(False)

        layout = QVBoxLayout(page)
        layout.setContentsMargins(8, 4, 4, 4)
        layout.addLayout(heading)
        layout.addLayout(facts)
        layout.addWidget(self.problem)
        layout.addWidget(self.credentials)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.loading)

    # -- what the window tells the pane --------------------------------------------------------

    def show_record(self, record: StoreRecord | None, busy: str | None = None) -> None:
        """Show `record` (None: nothing selected); a different store clears the rest."""
        if record is None:
            self.record = None
            self.setCurrentIndex(0)
            return
        if self.record is None or self.record.name != record.name:
            self._clear(record.name)
        self.record = record
        self.setCurrentIndex(1)
        status = record.status
        self.title.setText(record.name)
        self.status_icon.setPixmap(phase_icon(status.phase).pixmap(16, 16))
        text = f"<b>{escape(status_text(status))}</b>"
        if busy:
            text += f" &nbsp;({escape(busy)}…)"
        if status.detail and status.phase != Phase.FAILED:
            text += f"<br>{escape(status.detail)}"
        self.status.setText(text)
        self.engine.setText(engine_name(record.engine))
        self.namespace.setText(record.namespace)
        self.created.setText(
            record.created.astimezone().strftime("%Y-%m-%d %H:%M")
            + " ("
            + describe_age(record.created, datetime.now(UTC))
            + " ago)"
            if record.created
            else "-"
        )
        self.storefront.setText(_link(record.url))
        self.admin.setText(_link(record.admin_url))
        failed = status.phase == Phase.FAILED
        self.problem.setVisible(failed)
        if failed:
            colour = status_color(Phase.FAILED.value).name()
            parts = [f'<b style="color:{colour}">{escape(status.reason or "failed")}</b>']
            if status.detail:
                parts.append(escape(status.detail))
            if status.fix:
                parts.append(f"<b>Suggested fix:</b> {escape(status.fix)}")
            self.problem_text.setText("<br>".join(parts))
        # The status's next steps, as this window offers them: buttons.
        steps = status.next_steps
        self.retry_button.setVisible(NextStep.RETRY_CREATE in steps)
        self.delete_button.setVisible(bool({NextStep.DELETE, NextStep.RETRY_DELETE} & set(steps)))
        self.retry_button.setEnabled(busy is None)
        self.delete_button.setEnabled(busy is None)

    def show_details(self, details: StoreDetails) -> None:
        """Fill pods, events and the event log of the shown store."""
        if self.record is None or details.record.name != self.record.name:
            return
        now = datetime.now(UTC)
        self.pods.clear()
        for pod in details.pods:
            ready = sum(c.ready for c in pod.containers)
            item = QTreeWidgetItem(
                [pod.name, f"{ready}/{len(pod.containers)}", str(pod.restarts), pod_state(pod)]
            )
            item.setIcon(1, phase_icon(Phase.READY if pod.ready else Phase.PROVISIONING))
            self.pods.addTopLevelItem(item)
        self.events.clear()
        for event in details.events:
            seen = describe_age(event.last_seen, now) + " ago" if event.last_seen else "-"
            count = f" (x{event.count})" if event.count > 1 else ""
            item = QTreeWidgetItem(
                [
                    seen,
                    event.type,
                    event.reason,
                    f"{event.involved_kind.lower()}/{event.involved_name}",
                    event.message + count,
                ]
            )
            item.setToolTip(4, event.message)
            if event.type == "Warning":
                item.setForeground(1, status_color(Phase.FAILED.value))
            self.events.addTopLevelItem(item)
        for tree in (self.pods, self.events):
            for column in range(tree.columnCount() - 1):
                tree.resizeColumnToContents(column)
                # Long object names must leave room for the message.
                tree.setColumnWidth(column, min(tree.columnWidth(column), MAX_COLUMN))
        self.log.setPlainText("\n".join(entry.describe() for entry in details.log))
        self.log.verticalScrollBar().setValue(self.log.verticalScrollBar().maximum())
        self.loading.setText(f"Updated {datetime.now().strftime('%H:%M:%S')}")

    def show_problem(self, message: str) -> None:
        """Loading the details failed."""
        self.loading.setText(f"Could not load the details: {message}")

    def append_log(self, entry: LogEntry) -> None:
        """A step of an operation running on the shown store, live."""
        if self.record is not None and entry.store == self.record.name:
            self.log.appendPlainText(entry.describe())

    # -- internals -----------------------------------------------------------------------------

    def _tab_shown(self, index: int) -> None:
        if self.tabs.widget(index) is self.history and self.record is not None:
            self.history_requested.emit(self.record.name)

    def _clear(self, name: str) -> None:
        self.history.clear(name)
        if self.tabs.currentWidget() is self.history:
            self.history_requested.emit(name)
        self.pods.clear()
        self.events.clear()
        self.log.clear()
        self.credentials.reset()
        self.loading.setText(f"Loading the details of {name}…")

    def _request(self, signal: SignalInstance) -> None:
        if self.record is not None:
            signal.emit(self.record.name)
