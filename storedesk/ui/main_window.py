"""The main window: store table and details, actions, cluster banner; it wires the parts.

The window itself never calls the cluster, helm or the keyring: the session, operations
and details loader run every such call on a worker and report back by signals.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, QUrl
from PySide6.QtGui import QActionGroup, QCloseEvent, QDesktopServices
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QMessageBox,
    QSplitter,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from storedesk import __version__
from storedesk.errors import StoredeskError
from storedesk.provisioning.operation import describe_error
from storedesk.ui.actions import Actions
from storedesk.ui.banner import Banner, Level
from storedesk.ui.clipboard import SecretClipboard, copy_text
from storedesk.ui.cluster_banner import RETRY, START_DEMO, cluster_message
from storedesk.ui.cluster_check import ClusterCheck
from storedesk.ui.context_bar import ContextBar
from storedesk.ui.delete_dialog import DeleteDialog
from storedesk.ui.details_loader import DetailsLoader
from storedesk.ui.details_pane import DetailsPane
from storedesk.ui.icons import app_icon
from storedesk.ui.new_store_dialog import NewStore, NewStoreDialog
from storedesk.ui.operations import StoreOperations
from storedesk.ui.palette import apply_theme
from storedesk.ui.session import ClusterSession, ClusterState, ContextChoice
from storedesk.ui.store_model import StoreTableModel
from storedesk.ui.store_table import StoreTable
from storedesk.ui.ui_settings import THEMES, LastContext, UiSettings
from storedesk.ui.workers import Job, TaskRunner

if TYPE_CHECKING:
    from storedesk.domain.credentials import Credentials

log = logging.getLogger("storedesk.ui")

AGE_TICK_MS = 15_000


class MainWindow(QMainWindow):
    """Stores of the selected cluster, and what can be done with them."""

    def __init__(
        self,
        *,
        kubeconfig: str | None = None,
        context: str | None = None,
        settings: UiSettings | None = None,
        data_dir: Path | None = None,
        timeout: float | None = None,
        env: Mapping[str, str] = os.environ,
    ) -> None:
        super().__init__()
        self.setWindowIcon(app_icon())
        self.setObjectName("mainWindow")
        self.settings = settings or UiSettings()
        self._context = context
        self.runner = TaskRunner(self)
        self.session = ClusterSession(
            self.runner, kubeconfig, data_dir=data_dir, timeout=timeout, env=env, parent=self
        )
        self.model = StoreTableModel()
        self.clipboard = SecretClipboard(parent=self)
        self.operations = StoreOperations(
            self.runner, self.session, self.model, self.clipboard, self
        )
        # Not `actions`: that would hide QWidget.actions().
        self.commands = Actions(self)
        self.cluster_check = ClusterCheck(self.runner, self.session, self)
        self.table = StoreTable(self.model, self)
        self.details = DetailsPane(self)
        self.loader = DetailsLoader(self.operations, self.details, self)
        self.banner = Banner(self)
        self.banner.setObjectName("clusterBanner")
        self.notice = Banner(self)
        self.notice.setObjectName("noticeBanner")
        self.context_bar = ContextBar(self)
        self.filter_edit = QLineEdit(self)
        self.store_count = QLabel(self)
        self.new_store_dialog: NewStoreDialog | None = None
        self.delete_dialog: DeleteDialog | None = None
        self.close_prompt: QMessageBox | None = None
        self._quit_when_idle = False
        self._build()
        self._connect()
        self._restore()
        self._age_timer = QTimer(self)
        self._age_timer.timeout.connect(self.model.tick)
        self._age_timer.start(AGE_TICK_MS)
        self._on_state(self.session.state)
        self._update_actions()

    def start(self) -> None:
        """Read the kubeconfig and connect (call once the window is shown)."""
        last = None if self._context else self.settings.last_context()
        self.session.start(self._context, last)

    # -- layout --------------------------------------------------------------------------------

    def _build(self) -> None:
        a = self.commands
        toolbar = QToolBar("Main", self)
        toolbar.setObjectName("mainToolbar")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        toolbar.addActions([a.new_store, a.delete])
        toolbar.addSeparator()
        toolbar.addActions([a.open_storefront, a.open_admin, a.copy_password])
        toolbar.addSeparator()
        toolbar.addAction(a.refresh)
        spacer = QWidget(toolbar)
        spacer.setSizePolicy(
            spacer.sizePolicy().Policy.Expanding, spacer.sizePolicy().Policy.Preferred
        )
        toolbar.addWidget(spacer)
        toolbar.addWidget(self.context_bar)
        self.addToolBar(toolbar)

        store_menu = self.menuBar().addMenu("&Store")
        store_menu.addActions([a.new_store, a.delete])
        store_menu.addSeparator()
        store_menu.addActions([a.open_storefront, a.open_admin, a.copy_password])
        store_menu.addSeparator()
        store_menu.addAction(a.quit)
        cluster_menu = self.menuBar().addMenu("&Cluster")
        self.context_menu = QMenu("Switch &context", self)
        self.context_group = QActionGroup(self.context_menu)  # one checked context at a time
        cluster_menu.addAction(a.switch_context)
        cluster_menu.addMenu(self.context_menu)
        cluster_menu.addAction(a.start_demo)
        cluster_menu.addAction(a.cluster_check)
        cluster_menu.addSeparator()
        cluster_menu.addAction(a.refresh)
        view_menu = self.menuBar().addMenu("&View")
        view_menu.addAction(a.filter)
        theme_menu = view_menu.addMenu("&Theme")
        self.theme_group = QActionGroup(self)
        for theme in THEMES:
            action = theme_menu.addAction(theme.capitalize())
            action.setCheckable(True)
            action.setData(theme)
            self.theme_group.addAction(action)
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction(a.about)
        self.table.addActions(a.store_actions())

        self.filter_edit.setObjectName("filterEdit")
        self.filter_edit.setPlaceholderText("Filter stores by name, engine, status or URL")
        self.filter_edit.setClearButtonEnabled(True)
        filter_row = QHBoxLayout()
        filter_row.addWidget(self.filter_edit)

        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.details)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(False)

        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(6, 6, 6, 0)
        layout.addWidget(self.banner)
        layout.addWidget(self.notice)
        layout.addLayout(filter_row)
        layout.addWidget(self.splitter, 1)
        self.setCentralWidget(central)
        self.statusBar().addPermanentWidget(self.cluster_check.status_button)
        self.statusBar().addPermanentWidget(self.store_count)
        self.resize(1280, 760)

    def _connect(self) -> None:
        a = self.commands
        a.new_store.triggered.connect(self.new_store)
        a.delete.triggered.connect(lambda: self.delete_store(self.table.selected_name()))
        a.open_storefront.triggered.connect(lambda: self._open("url"))
        a.open_admin.triggered.connect(lambda: self._open("admin_url"))
        a.copy_password.triggered.connect(self._copy_password)
        a.refresh.triggered.connect(self.refresh)
        a.switch_context.triggered.connect(self._focus_contexts)
        a.start_demo.triggered.connect(self.session.start_demo)
        a.cluster_check.triggered.connect(self.cluster_check.open_dialog)
        a.filter.triggered.connect(self._focus_filter)
        a.quit.triggered.connect(self.close)
        a.about.triggered.connect(self._about)
        self.theme_group.triggered.connect(lambda action: self.set_theme(action.data()))

        self.runner.failed.connect(self.report_failure)
        self.session.failed.connect(self.report_failure)
        self.session.state_changed.connect(self._on_state)
        self.session.contexts_changed.connect(self._on_contexts)
        self.session.records_changed.connect(self.model.set_records)
        self.session.switched.connect(self._on_switched)
        self.context_bar.chosen.connect(self.session.select)

        self.operations.message.connect(lambda text: self.statusBar().showMessage(text, 10_000))
        self.operations.progressed.connect(self.details.append_log)
        self.operations.keyring_refused.connect(self._ask_without_keyring)
        self.operations.idle.connect(self._maybe_quit)
        self.clipboard.cleared.connect(
            lambda: self.statusBar().showMessage("Clipboard cleared", 5_000)
        )

        self.filter_edit.textChanged.connect(self.table.set_filter)
        self.table.selected_changed.connect(lambda _: self._refresh_selected())
        self.table.opened.connect(lambda _: self._open("url"))
        self.model.dataChanged.connect(lambda *_: self._refresh_selected())
        self.model.rowsInserted.connect(lambda *_: self._count_stores())
        self.model.rowsRemoved.connect(lambda *_: self._count_stores())

        self.details.retry_requested.connect(self._retry)
        self.details.history_requested.connect(self._load_history)
        self.details.history.rollback_requested.connect(self.operations.rollback)
        self.operations.rolled_back.connect(self._load_history)
        self.details.delete_requested.connect(self.delete_store)
        self.details.reveal_requested.connect(
            lambda name: self.operations.read_credentials(name, self._reveal(name))
        )
        self.details.copy_password_requested.connect(self.operations.copy_password)
        self.details.copy_text_requested.connect(copy_text)

    # -- settings ------------------------------------------------------------------------------

    def _restore(self) -> None:
        s = self.settings
        if (geometry := s.geometry()) is not None:
            self.restoreGeometry(geometry)
        if (state := s.window_state()) is not None:
            self.restoreState(state)
        if (splitter := s.splitter()) is not None:
            self.splitter.restoreState(splitter)
        else:
            self.splitter.setSizes([760, 500])
        if (header := s.table_header()) is not None:
            self.table.horizontalHeader().restoreState(header)
        self.filter_edit.setText(s.filter_text())
        theme = s.theme()
        next(a for a in self.theme_group.actions() if a.data() == theme).setChecked(True)
        if theme != "system":
            apply_theme(theme)

    def save_settings(self) -> None:
        """Remember layout, filter and the selected context."""
        self.settings.save_window(
            self.saveGeometry(),
            self.saveState(),
            self.splitter.saveState(),
            self.table.horizontalHeader().saveState(),
        )
        self.settings.set_filter_text(self.filter_edit.text())
        choice = self.session.choice
        if choice is not None:
            self.settings.set_last_context(LastContext(choice.name, choice.demo))
        self.settings.sync()

    def set_theme(self, theme: str) -> None:
        """Switch between the system, light and dark colour schemes."""
        apply_theme(theme)
        self.settings.set_theme(theme)

    # -- actions -------------------------------------------------------------------------------

    def new_store(self) -> None:
        """Open the New store dialog (non-blocking); Create starts the work at once."""
        if self.session.service is None:
            self.statusBar().showMessage("Not connected to a cluster", 10_000)
            return
        dialog = NewStoreDialog(self.model.names(), self)
        dialog.accepted.connect(lambda: self._create(dialog.request()))
        dialog.finished.connect(dialog.deleteLater)
        self.new_store_dialog = dialog
        dialog.open()

    def delete_store(self, name: str | None) -> None:
        """Ask for confirmation (typing the name), then delete on a worker."""
        record = self.model.record(name) if name else None
        if record is None:
            return
        dialog = DeleteDialog(record, self)
        dialog.accepted.connect(lambda: self.operations.delete(record.name))
        dialog.finished.connect(dialog.deleteLater)
        self.delete_dialog = dialog
        dialog.open()

    def refresh(self) -> None:
        """Read everything again (and retry connecting when not connected)."""
        self.session.refresh()
        name = self.table.selected_name()
        if name and self.model.listed(name):  # a store still being created has no details yet
            self.loader.load(name)

    def report_failure(self, job: Job, error: BaseException) -> None:
        """The one place failures of background work end up: the log, the status bar, and
        for operations on stores, a notice above the table."""
        label, message = str(job), describe_error(error)
        if isinstance(error, StoredeskError):
            log.warning("%s failed: %s", label, message)
        else:
            log.error("%s failed", label, exc_info=error)
        self.statusBar().showMessage(f"Could not {label}: {message}", 30_000)
        if job.notify:
            self.notice.show_message(
                Level.ERROR,
                f"<b>Could not {escape(label)}</b>: {escape(message)}",
                [("Dismiss", self.notice.hide)],
            )

    def _create(self, request: NewStore) -> None:
        if self.operations.create(request):
            self.table.select(request.name)

    def _load_history(self, name: str) -> None:
        history = self.details.history
        self.operations.load_history(
            name,
            history.show_history,
            lambda store, error: history.show_problem(store, describe_error(error)),
        )

    def _retry(self, name: str) -> None:
        record = self.model.record(name)
        if record is not None:
            self.operations.retry(record)

    def _copy_password(self) -> None:
        name = self.table.selected_name()
        if name:
            self.operations.copy_password(name)

    def _reveal(self, name: str) -> Callable[[Credentials], None]:
        def show(credentials: Credentials) -> None:
            if self.details.record is not None and self.details.record.name == name:
                self.details.credentials.show_credentials(credentials)

        return show

    def _open(self, which: str) -> None:
        record = self.table.selected_record()
        url = getattr(record, which, None) if record else None
        if record is None or not url:
            return
        if record.forwarded:  # its port-forward runs first (on a worker), then the browser
            self.operations.forward(record.name, lambda _: self.open_link(url))
        else:
            self.open_link(url)

    def open_link(self, url: str) -> None:
        """Open `url` in the browser; when none can, say so and offer to copy it."""
        if QDesktopServices.openUrl(QUrl(url)):
            return
        self.notice.show_message(
            Level.INFO,
            f"No browser could open <b>{escape(url)}</b>.",
            [("Copy the link", lambda: copy_text(url)), ("Dismiss", self.notice.hide)],
        )

    def _focus_contexts(self) -> None:
        self.context_bar.combo.setFocus()
        self.context_bar.combo.showPopup()

    def _focus_filter(self) -> None:
        self.filter_edit.setFocus()
        self.filter_edit.selectAll()

    def _ask_without_keyring(self, request: NewStore, error: str) -> None:
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Keyring unavailable",
            f"Storedesk keeps each store's passwords in the OS keyring, and it "
            f"is not available:\n\n{error}\n\nCreate '{request.name}' without "
            "keeping its passwords in the keyring? They then stay only in the "
            "store's Secret in the cluster.",
            parent=self,
        )
        go = box.addButton("Create without keyring", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.finished.connect(
            lambda _: (
                box.clickedButton() is go and self.operations.create(request, use_keyring=False)
            )
        )
        box.open()

    def _about(self) -> None:
        box = QMessageBox(
            QMessageBox.Icon.NoIcon,
            "About Storedesk",
            f"<b>Storedesk {__version__}</b><p>A shop factory on your Kubernetes "
            "cluster: create, watch and delete WooCommerce stores.</p>",
            parent=self,
        )
        box.setIconPixmap(app_icon().pixmap(64, 64))
        box.open()

    # -- reacting to the session and the model -------------------------------------------------

    def _on_state(self, state: ClusterState) -> None:
        self.context_bar.set_state(state)
        choice = state.choice
        title = "Storedesk"
        if choice is not None:
            title += f" — {choice.name}" + (" (demo)" if choice.demo else "")
        self.setWindowTitle(title)
        message = cluster_message(state)
        if message is None:
            self.banner.hide()
        else:
            callbacks = {RETRY: self.refresh, START_DEMO: self.session.start_demo}
            self.banner.show_message(
                message.level, message.text, [(b, callbacks[b]) for b in message.buttons]
            )
        self._update_actions()

    def _on_contexts(self, choices: list[ContextChoice], current: ContextChoice | None) -> None:
        self.context_bar.set_choices(choices, current)
        self.context_menu.clear()  # deletes the actions, and with them their group membership
        for choice in choices:
            action = self.context_menu.addAction(choice.label)
            action.setCheckable(True)
            action.setChecked(choice == current)
            self.context_group.addAction(action)
            action.triggered.connect(lambda _=False, c=choice: self.session.select(c))
        self.context_menu.setEnabled(bool(choices))

    def _on_switched(self) -> None:
        self.model.clear()
        self.notice.hide()

    def _refresh_selected(self) -> None:
        record = self.table.selected_record()
        busy = self.model.busy(record.name) if record else None
        changed = record != self.details.record
        self.details.show_record(record, busy)
        # A store still being created shows once the cluster lists it; not before.
        if record is not None and changed and self.model.listed(record.name):
            self.loader.load(record.name)
        self._update_actions()

    def _count_stores(self) -> None:
        count = self.model.rowCount()
        self.store_count.setText(f"{count} store{'s' if count != 1 else ''}")

    def _update_actions(self) -> None:
        a = self.commands
        record = self.table.selected_record()
        connected = self.session.service is not None and not self._quit_when_idle
        busy = self.model.busy(record.name) if record else None
        a.new_store.setEnabled(connected)
        a.delete.setEnabled(connected and record is not None and busy is None)
        a.copy_password.setEnabled(connected and record is not None)
        a.open_storefront.setEnabled(bool(record and record.url))
        a.open_admin.setEnabled(bool(record and record.admin_url))
        a.start_demo.setEnabled(not self.session.demo_starting)

    # -- closing -------------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        """Ask first while operations run; then let them finish before quitting."""
        running = self.operations.running()
        if running:
            event.ignore()
            if not self._quit_when_idle:
                self._ask_to_quit(running)
            return
        self.save_settings()
        self.clipboard.clear()
        event.accept()

    def _ask_to_quit(self, running: list[str]) -> None:
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Operations are running",
            f"Still running: {', '.join(running)}.\n\nStoredesk can quit as soon "
            "as they finish, or stop them now (helm is stopped; running create or "
            "delete again later repairs the store), or you can keep working.",
            parent=self,
        )
        wait = box.addButton("Quit when finished", QMessageBox.ButtonRole.AcceptRole)
        stop = box.addButton("Stop them and quit", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton("Keep working", QMessageBox.ButtonRole.RejectRole)
        box.finished.connect(lambda _: self._answer_quit(box.clickedButton(), wait, stop))
        self.close_prompt = box
        box.open()

    def _answer_quit(self, clicked: object, wait: object, stop: object) -> None:
        if clicked is stop:
            self.operations.cancel_all()
        if clicked in (wait, stop):
            self._wait_then_quit()

    def _wait_then_quit(self) -> None:
        self._quit_when_idle = True
        self._update_actions()
        self.notice.show_message(
            Level.INFO,
            "Storedesk quits when the running operations finish: "
            + escape(", ".join(self.operations.running())),
            [("Keep working", self._stay)],
        )
        self._maybe_quit()

    def _stay(self) -> None:
        self._quit_when_idle = False
        self.notice.hide()
        self._update_actions()

    def _maybe_quit(self) -> None:
        if self._quit_when_idle and not self.operations.running():
            self.close()
