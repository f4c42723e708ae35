"""The main window: store table and details, actions, cluster banner; it wires the parts.

The window itself never calls the cluster, helm or the keyring: the session, operations
and details loader run every such call on a worker and report back by signals. Each
message is said once, where it belongs: a store's failure in its details (with a notice
pointing there), the cluster's state in the banner, the rest in the status line.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, QUrl
from PySide6.QtGui import (
    QActionGroup,
    QCloseEvent,
    QDesktopServices,
    QKeySequence,
    QResizeEvent,
    QShortcut,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
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

from storedesk.domain.models import Phase, StoreRecord
from storedesk.errors import NextStep, StoredeskError
from storedesk.ui import questions
from storedesk.ui.actions import Actions
from storedesk.ui.banner import Banner, Button, Level
from storedesk.ui.browser import open_with_xdg, uses_xdg_open
from storedesk.ui.clipboard import SecretClipboard, copy_text
from storedesk.ui.closing import CloseGuard
from storedesk.ui.cluster_banner import CHOOSE_KUBECONFIG, RETRY, START_DEMO, cluster_message
from storedesk.ui.cluster_check import ClusterCheck
from storedesk.ui.context_bar import ContextBar
from storedesk.ui.delete_dialog import DeleteDialog
from storedesk.ui.details_loader import DetailsLoader
from storedesk.ui.details_pane import DetailsPane
from storedesk.ui.icons import app_icon
from storedesk.ui.new_store_dialog import NewStore, NewStoreDialog
from storedesk.ui.operations import StoreOperations
from storedesk.ui.palette import apply_theme
from storedesk.ui.screen_fit import DEFAULT_SIZE, fit_to_screen
from storedesk.ui.session import ClusterSession, ClusterState, Connection, ContextChoice
from storedesk.ui.status_line import StatusLine
from storedesk.ui.store_model import StoreTableModel
from storedesk.ui.store_table import StoreTable
from storedesk.ui.text import error_text
from storedesk.ui.ui_settings import THEMES, LastContext, UiSettings
from storedesk.ui.workers import Job, TaskRunner

if TYPE_CHECKING:
    from storedesk.domain.credentials import Credentials
    from storedesk.provisioning.logs import LogRequest
    from storedesk.provisioning.upgrades import Upgrade

log = logging.getLogger("storedesk.ui")

AGE_TICK_MS = 1_000  # ages ("5s", "3s ago") move every second, in the table and the details
UPGRADES_AGAIN = 30.0  # seconds: a refresh looks for chart upgrades again at most this often


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
        self.notice_store: str | None = None  # the store the notice is about, if any
        self.context_bar = ContextBar(self)
        self.filter_edit = QLineEdit(self)
        self.store_count = QLabel(self)
        self.store_count.setObjectName("storeCount")
        self.status_line = StatusLine(self)
        self.new_store_dialog: NewStoreDialog | None = None
        self.delete_dialog: DeleteDialog | None = None
        self.message_box: QMessageBox | None = None  # the last question or note shown
        self.closing = CloseGuard(
            self,
            self.operations.running,
            self.operations.cancel_all,
            self.notice,
            self._update_actions,
        )
        self._upgrades_looked: tuple[int, float] | None = None  # (generation, when)
        self._forwarded_at_start: int | None = None  # the generation whose forwards started
        self._fitted = False
        self._build()
        self._connect()
        self._restore()
        self._age_timer = QTimer(self)
        self._age_timer.timeout.connect(self._tick)
        self._age_timer.start(AGE_TICK_MS)
        self._on_state(self.session.state)
        self._update_actions()
        self._count_stores()

    @property
    def close_prompt(self) -> QMessageBox | None:
        """The open "operations are running" question, if any."""
        return self.closing.prompt

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
        self.toolbar = toolbar
        # What the toolbar's buttons need with their texts, beside the context bar.
        self._buttons_width = toolbar.sizeHint().width() - self.context_bar.sizeHint().width()

        store_menu = self.menuBar().addMenu("&Store")
        store_menu.addActions([a.new_store, a.delete])
        store_menu.addSeparator()
        store_menu.addActions([a.open_storefront, a.open_admin, a.copy_password])
        store_menu.addSeparator()
        store_menu.addAction(a.upgrade)
        store_menu.addSeparator()
        store_menu.addAction(a.quit)
        cluster_menu = self.menuBar().addMenu("&Cluster")
        self.context_menu = QMenu("Switch &context", self)
        self.context_group = QActionGroup(self.context_menu)  # one checked context at a time
        cluster_menu.addAction(a.switch_context)
        cluster_menu.addMenu(self.context_menu)
        cluster_menu.addAction(a.choose_kubeconfig)
        cluster_menu.addSeparator()
        cluster_menu.addAction(a.start_demo)
        cluster_menu.addAction(a.demo_from_terminal)
        cluster_menu.addSeparator()
        cluster_menu.addAction(a.cluster_check)
        cluster_menu.addAction(a.refresh)
        view_menu = self.menuBar().addMenu("&View")
        view_menu.addAction(a.filter)
        self.forward_at_start = view_menu.addAction("&Forward every Ready store at start")
        self.forward_at_start.setCheckable(True)
        self.forward_at_start.setChecked(self.settings.forward_at_start())
        self.forward_at_start.setToolTip(
            "Start the port-forward of every Ready store served through one as soon as its "
            "cluster is selected, not only when you open it"
        )
        self.forward_at_start.toggled.connect(self.settings.set_forward_at_start)
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
        self.filter_edit.setPlaceholderText(
            "Filter stores by name, engine, status or URL (Escape clears)"
        )
        self.filter_edit.setClearButtonEnabled(True)
        # Escape clears the filter (and gives the table the keyboard back).
        clear_filter = QShortcut(QKeySequence(Qt.Key.Key_Escape), self.filter_edit)
        clear_filter.setContext(Qt.ShortcutContext.WidgetShortcut)
        clear_filter.activated.connect(self._clear_filter)
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
        self.statusBar().addWidget(self.status_line, 1)
        self.statusBar().addPermanentWidget(self.cluster_check.status_button)
        self.statusBar().addPermanentWidget(self.store_count)
        self.resize(DEFAULT_SIZE)

    def _connect(self) -> None:
        a = self.commands
        a.new_store.triggered.connect(self.new_store)
        a.delete.triggered.connect(lambda: self.delete_store(self.table.selected_name()))
        a.open_storefront.triggered.connect(lambda: self._open("url"))
        a.open_admin.triggered.connect(lambda: self._open("admin_url"))
        a.copy_password.triggered.connect(self._copy_password)
        a.upgrade.triggered.connect(lambda: self.upgrade_store(self.table.selected_name()))
        a.refresh.triggered.connect(self.refresh)
        a.switch_context.triggered.connect(self._focus_contexts)
        a.choose_kubeconfig.triggered.connect(self.choose_kubeconfig)
        a.start_demo.triggered.connect(self.session.start_demo)
        a.demo_from_terminal.triggered.connect(self._demo_from_terminal)
        a.cluster_check.triggered.connect(self.cluster_check.open_dialog)
        a.filter.triggered.connect(self._focus_filter)
        a.quit.triggered.connect(self.close)
        a.about.triggered.connect(self._about)
        self.theme_group.triggered.connect(lambda action: self.set_theme(action.data()))
        app = QApplication.instance()
        if isinstance(app, QApplication):  # the desktop switched light/dark: links stay readable
            app.styleHints().colorSchemeChanged.connect(
                lambda _: apply_theme(self.settings.theme())
            )

        self.runner.failed.connect(self.report_failure)
        self.session.failed.connect(self.report_failure)
        self.session.state_changed.connect(self._on_state)
        self.session.contexts_changed.connect(self._on_contexts)
        self.session.records_changed.connect(self.model.set_records)
        self.session.records_changed.connect(self._records_arrived)
        self.session.switched.connect(self._on_switched)
        self.context_bar.chosen.connect(self.session.select)

        self.operations.message.connect(lambda text: self.status_line.show_message(text))
        self.operations.progressed.connect(self.details.append_log)
        self.operations.keyring_refused.connect(self._ask_without_keyring)
        self.operations.running_changed.connect(self.closing.operations_changed)
        self.operations.started.connect(self._operation_started)
        self.operations.forwarded.connect(self.details.show_forward)
        self.operations.upgrades_found.connect(self._upgrades_found)
        self.operations.converged.connect(self._converged)
        self.clipboard.cleared.connect(
            lambda: self.status_line.show_message("Clipboard cleared", 5_000)
        )

        self.filter_edit.textChanged.connect(self._filter_changed)
        self.table.selected_changed.connect(lambda _: self._refresh_selected())
        self.table.opened.connect(lambda _: self._open("url"))
        self.model.dataChanged.connect(lambda *_: self._refresh_selected())
        self.model.rowsInserted.connect(lambda *_: self._count_stores())
        self.model.rowsRemoved.connect(lambda *_: self._count_stores())

        d = self.details
        d.retry_requested.connect(self._retry)
        d.without_keyring_requested.connect(lambda name: self._retry(name, use_keyring=False))
        d.recover_requested.connect(self.operations.recover_credentials)
        d.history_requested.connect(self._load_history)
        d.history.rollback_requested.connect(self.operations.rollback)
        self.operations.rolled_back.connect(self._rolled_back)
        d.delete_requested.connect(self.delete_store)
        d.upgrade_requested.connect(self.upgrade_store)
        d.forward_requested.connect(lambda name: self.operations.forward(name))
        d.reveal_requested.connect(
            lambda name: self.operations.read_credentials(name, self._reveal(name))
        )
        d.copy_password_requested.connect(self.operations.copy_password)
        d.copy_text_requested.connect(copy_text)
        d.logs.requested.connect(self._read_log)
        for link in (d.storefront, d.admin):
            link.linkActivated.connect(self._open_link_of_selected)

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
            self.splitter.setSizes([700, 580])  # room for a pod's whole name
        if (header := s.table_header()) is not None:
            self.table.horizontalHeader().restoreState(header)
        self.filter_edit.setText(s.filter_text())
        theme = s.theme()
        next(a for a in self.theme_group.actions() if a.data() == theme).setChecked(True)
        apply_theme(theme)  # "system" too: a dark desktop's links are made readable
        fit_to_screen(self)  # a remembered size from a larger screen, or a 1.5x scale

    def save_settings(self) -> None:
        """Remember layout, filter and the selected context."""
        self.settings.save_window(
            self.saveGeometry(),
            self.saveState(),
            self.splitter.saveState(),
            self.table.horizontalHeader().saveState(),
        )
        self.settings.set_filter_text(self.filter_edit.text())
        self._remember_context()
        self.settings.sync()

    def _remember_context(self) -> None:
        choice = self.session.choice
        if choice is not None:
            self.settings.set_last_context(LastContext(choice.name, choice.demo))

    def set_theme(self, theme: str) -> None:
        """Switch between the system, light and dark colour schemes."""
        self.settings.set_theme(theme)
        apply_theme(theme)

    def showEvent(self, event: QShowEvent) -> None:
        """On the first show the frame is known: fit it on the screen."""
        super().showEvent(event)
        if not self._fitted:
            self._fitted = True
            fit_to_screen(self)
        self._fit_toolbar()

    def resizeEvent(self, event: QResizeEvent) -> None:
        """A narrow window shows its toolbar's icons only, so the context stays in view."""
        super().resizeEvent(event)
        self._fit_toolbar()

    def _fit_toolbar(self) -> None:
        style = Qt.ToolButtonStyle
        wanted = self._buttons_width + self.context_bar.sizeHint().width()
        fitting = (
            style.ToolButtonTextBesideIcon if wanted <= self.width() else style.ToolButtonIconOnly
        )
        if self.toolbar.toolButtonStyle() != fitting:
            self.toolbar.setToolButtonStyle(fitting)

    # -- actions -------------------------------------------------------------------------------

    def new_store(self) -> None:
        """Open the New store dialog (non-blocking); Create starts the work at once."""
        if not self._cluster_answers():
            self.status_line.show_message("The cluster does not answer: no store can be made now")
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

    def upgrade_store(self, name: str | None) -> None:
        """Say what an upgrade changes; on Upgrade, run it on a worker."""
        record = self.model.record(name) if name else None
        upgrade = self.model.upgrade(name) if name else None
        if record is None or upgrade is None:
            return
        self.message_box = questions.ask(
            self,
            f"Upgrade store {record.name}",
            questions.upgrade_question(
                record.name, upgrade.deployed_chart, upgrade.shipped_chart, upgrade.revision
            ),
            "Upgrade",
            lambda: self.operations.upgrade(record, upgrade),
        )

    def choose_kubeconfig(self) -> None:
        """Pick a kubeconfig file and read its contexts."""
        dialog = QFileDialog(self, "Choose a kubeconfig")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(self._use_kubeconfig)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def refresh(self) -> None:
        """Read everything again (and retry connecting when not connected)."""
        self.session.refresh()
        name = self.table.selected_name()
        if name and self.model.listed(name):  # a store still being created has no details yet
            self.loader.load(name)
        if self._upgrades_looked and time.monotonic() - self._upgrades_looked[1] > UPGRADES_AGAIN:
            self._look_for_upgrades()

    def report_failure(self, job: Job, error: BaseException) -> None:
        """The one place failures of background work end up: the log, and once for the
        user: a store's failure as a notice pointing at its details (which say why), the
        rest in the status line."""
        label, message = str(job), error_text(error)
        if isinstance(error, StoredeskError):
            log.warning("%s failed: %s", label, message)
        else:
            log.error("%s failed", label, exc_info=error)
        if not job.notify:
            self.status_line.show_message(f"Could not {label}: {message}", 30_000, problem=True)
            return
        # After the operation's own end handlers (the row settles first): said once.
        QTimer.singleShot(0, self, lambda: self._notify_failure(job, error, message))

    def _notify_failure(self, job: Job, error: BaseException, message: str) -> None:
        label = str(job)
        record = self.model.record(job.subject) if job.subject else None
        buttons: list[Button] = []
        if record is not None and record.status.phase == Phase.FAILED:
            # Its details say what went wrong and what to do: the notice points there.
            reason = f": {record.status.reason}" if record.status.reason else ""
            text = f"<b>Could not {escape(label)}</b>{escape(reason)}. Its details say why."
        else:
            text = f"<b>Could not {escape(label)}</b>: {escape(message)}"
        if record is not None and self.table.selected_name() != record.name:
            name = record.name
            buttons.append((f"Show {name}", lambda: self.table.select(name)))
        steps = error.next_steps if isinstance(error, StoredeskError) else ()
        if NextStep.WITHOUT_KEYRING in steps and record is not None:
            name = record.name
            buttons.append(("Retry without keyring", lambda: self._retry(name, use_keyring=False)))
        buttons.append(("Dismiss", self._dismiss_notice))
        self.notice_store = job.subject or None
        self.notice.show_message(Level.ERROR, text, buttons)

    def open_link(self, url: str) -> None:
        """Open `url` in the browser; when none can, say so and offer to copy it."""
        if not uses_xdg_open():
            if not QDesktopServices.openUrl(QUrl(url)):
                self._no_browser(url, "no browser is set up to open it")
            return
        task = self.runner.run(Job("open", url), lambda: open_with_xdg(url), report_errors=False)
        task.error.connect(lambda error: self._no_browser(url, error_text(error)))

    # -- internals: actions ---------------------------------------------------------------------

    def _create(self, request: NewStore) -> None:
        if self.operations.create(request):
            self.table.select(request.name)

    def _load_history(self, name: str) -> None:
        history = self.details.history
        self.operations.load_history(
            name,
            history.show_history,
            lambda store, error: history.show_problem(store, error_text(error)),
        )

    def _rolled_back(self, name: str) -> None:
        self._load_history(name)
        self._look_for_upgrades()  # the revision returned to may carry an older chart

    def _read_log(self, request: LogRequest) -> None:
        logs = self.details.logs
        self.operations.read_log(
            request, logs.show_log, lambda r, error: logs.show_problem(r, error_text(error))
        )

    def _retry(self, name: str, *, use_keyring: bool = True) -> None:
        record = self.model.record(name)
        if record is not None:
            self.operations.retry(record, use_keyring=use_keyring)

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
        self._open_store_link(record, url)

    def _open_link_of_selected(self, url: str) -> None:
        record = self.table.selected_record()
        if record is not None:
            self._open_store_link(record, url)

    def _open_store_link(self, record: StoreRecord, url: str) -> None:
        if record.forwarded:  # its port-forward runs first (on a worker), then the browser
            self.operations.forward(record.name, lambda _: self.open_link(url))
        else:
            self.open_link(url)

    def _no_browser(self, url: str, why: str) -> None:
        self.notice_store = None
        self.notice.show_message(
            Level.INFO,
            f"No browser opened <b>{escape(url)}</b>: {escape(why)}.",
            [("Copy the link", lambda: self._copy_link(url)), ("Dismiss", self._dismiss_notice)],
        )

    def _copy_link(self, url: str) -> None:
        copy_text(url)
        self._dismiss_notice()
        self.status_line.show_message(f"Copied {url}", 5_000)

    def _dismiss_notice(self) -> None:
        self.notice_store = None
        self.notice.hide()

    def _use_kubeconfig(self, path: str) -> None:
        self.session.kubeconfig = path
        self._context = None
        self.session.start(None, None)

    def _focus_contexts(self) -> None:
        self.context_bar.combo.setFocus()
        self.context_bar.combo.showPopup()

    def _focus_filter(self) -> None:
        self.filter_edit.setFocus()
        self.filter_edit.selectAll()

    def _clear_filter(self) -> None:
        self.filter_edit.clear()
        self.table.setFocus()

    def _ask_without_keyring(self, request: NewStore, error: str) -> None:
        self.message_box = questions.ask(
            self,
            "Keyring unavailable",
            f"Storedesk keeps each store's passwords in the OS keyring, and it is not "
            f"available: {escape(error)}.<br><br>Create <b>{escape(request.name)}</b> "
            "without keeping its passwords in the keyring? They then stay only in the "
            "store's Secret in the cluster.",
            "Create without keyring",
            lambda: self.operations.create(request, use_keyring=False),
            QMessageBox.Icon.Warning,
        )

    def _about(self) -> None:
        self.message_box = questions.about(self, self.session.demo_kubeconfig())

    def _demo_from_terminal(self) -> None:
        kubeconfig = self.session.demo_kubeconfig()
        running = self.session.demo is not None and self.session.demo.running
        box = QMessageBox(
            QMessageBox.Icon.Information,
            "The demo cluster from a terminal",
            questions.demo_cli_text(kubeconfig, running),
            parent=self,
        )
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        copy = box.addButton("Copy the command", QMessageBox.ButtonRole.ActionRole)
        box.addButton(QMessageBox.StandardButton.Close)
        command = f"storedesk --kubeconfig {kubeconfig} list"
        box.finished.connect(lambda _: copy_text(command) if box.clickedButton() is copy else None)
        self.message_box = box
        box.open()

    # -- reacting to the session, the operations and the model --------------------------------

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
            callbacks = {
                RETRY: self.refresh,
                START_DEMO: self.session.start_demo,
                CHOOSE_KUBECONFIG: self.choose_kubeconfig,
            }
            self.banner.show_message(
                message.level, message.text, [(b, callbacks[b]) for b in message.buttons]
            )
        if state.connection == Connection.REACHABLE:
            self.status_line.clear_problem()  # the failures of the outage are history
            self._remember_context()  # remembered now, not only at a clean exit
        self._update_actions()
        self._update_empty_state()

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
        self._dismiss_notice()
        self._upgrades_looked = None

    def _records_arrived(self, records: tuple[StoreRecord, ...]) -> None:
        generation = self.session.generation
        if self.forward_at_start.isChecked() and self._forwarded_at_start != generation:
            ready = [r for r in records if r.forwarded and r.status.phase == Phase.READY]
            if ready:  # once per selected cluster: later stores start when opened
                self._forwarded_at_start = generation
                for record in ready:
                    self.operations.forward(record.name, lambda _state: None)
        if self._upgrades_looked is None or self._upgrades_looked[0] != generation:
            self._look_for_upgrades(list(records))
        self._update_empty_state()

    def _look_for_upgrades(self, records: list[StoreRecord] | None = None) -> None:
        self._upgrades_looked = (self.session.generation, time.monotonic())
        listed = [r for name in self.model.names() if (r := self.model.record(name))]
        self.operations.find_upgrades(records if records is not None else listed)

    def _upgrades_found(self, upgrades: dict[str, Upgrade]) -> None:
        self.model.set_upgrades(upgrades)
        self._refresh_selected()

    def _converged(self, name: str, ok: bool) -> None:
        if ok:  # it runs the shipped chart now
            self.model.set_upgrades(
                {k: v for k, v in self._current_upgrades().items() if k != name}
            )
            self._refresh_selected()
        else:  # helm rolled it back, or it never ran: ask the cluster
            self._look_for_upgrades()
        shown = self.details.record
        if shown is not None and shown.name == name and self.details.history.isVisible():
            self._load_history(name)

    def _current_upgrades(self) -> dict[str, Upgrade]:
        return {n: u for n in self.model.names() if (u := self.model.upgrade(n)) is not None}

    def _operation_started(self, name: str) -> None:
        if self.notice_store == name:  # its earlier failure is history now
            self._dismiss_notice()

    def _refresh_selected(self) -> None:
        record = self.table.selected_record()
        name = record.name if record else None
        busy = self.model.busy(name) if name else None
        upgrade = self.model.upgrade(name) if name else None
        changed = record != self.details.record  # another store, or news of the shown one
        self.details.show_record(record, busy, now=self.model.now, upgrade=upgrade)
        # A store still being created shows once the cluster lists it; not before.
        if record is not None and changed and self.model.listed(record.name):
            self.loader.load(record.name)
        self._update_actions()

    def _tick(self) -> None:
        self.model.tick()
        self.details.tick(self.model.now)

    def _filter_changed(self, text: str) -> None:
        self.table.set_filter(text)
        self._count_stores()
        self._update_empty_state()

    def _count_stores(self) -> None:
        total, shown = self.model.rowCount(), self.table.shown_rows()
        noun = "store" if total == 1 else "stores"
        self.store_count.setText(
            f"{total} {noun}" if shown == total else f"{shown} of {total} {noun} shown"
        )
        self._update_empty_state()

    def _update_empty_state(self) -> None:
        state, table = self.session.state, self.table
        context = state.choice.name if state.choice else ""
        if self.model.rowCount() and not table.shown_rows():
            table.set_empty_state(
                f"No store matches “{self.filter_edit.text()}”.",
                "Clear the filter",
                self._clear_filter,
            )
        elif state.connection == Connection.NO_CLUSTER:
            table.set_empty_state(
                "No cluster is selected, so there are no stores to show.",
                START_DEMO,
                self.session.start_demo,
            )
        elif state.connection in (Connection.CONNECTING, Connection.STARTING_DEMO):
            table.set_empty_state(f"Connecting to {context}…" if context else "Connecting…")
        elif state.connection == Connection.UNREACHABLE:
            table.set_empty_state(
                f"The cluster of {context} does not answer: no stores are known yet.",
                RETRY,
                self.refresh,
            )
        else:
            table.set_empty_state(f"No stores on {context} yet.", "New store…", self.new_store)

    def _cluster_answers(self) -> bool:
        return (
            self.session.service is not None
            and self.session.state.connection == Connection.REACHABLE
        )

    def _update_actions(self) -> None:
        a = self.commands
        record = self.table.selected_record()
        connected = self.session.service is not None and not self.closing.quitting
        busy = self.model.busy(record.name) if record else None
        # Nothing can be made on a cluster that does not answer: New store waits for it.
        a.new_store.setEnabled(self._cluster_answers() and not self.closing.quitting)
        a.delete.setEnabled(connected and record is not None and busy is None)
        a.copy_password.setEnabled(connected and record is not None)
        a.upgrade.setEnabled(
            connected
            and record is not None
            and busy is None
            and self.model.upgrade(record.name) is not None
        )
        a.open_storefront.setEnabled(bool(record and record.url))
        a.open_admin.setEnabled(bool(record and record.admin_url))
        a.start_demo.setEnabled(not self.session.demo_starting)

    # -- closing -------------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        """Ask first while operations run; then let them finish before quitting."""
        if not self.closing.may_close():
            event.ignore()
            return
        self.save_settings()
        self.clipboard.clear()
        event.accept()
