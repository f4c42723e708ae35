"""The cluster check in the window: run once when a context is first selected, kept per
context, shown in a dialog (Cluster > Cluster check) and summed up in the status bar.

The checks run on a worker (`storedesk.provisioning.doctor`, bounded by its time limit);
the window only shows their results. Switching back to a context shows the results kept
for it at once; Check again runs them anew.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QGridLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from storedesk.domain.checks import CheckResult, Verdict
from storedesk.domain.models import Phase
from storedesk.provisioning.operation import describe_error
from storedesk.ui.icons import phase_icon
from storedesk.ui.palette import status_color
from storedesk.ui.session import Connection
from storedesk.ui.text import code_html
from storedesk.ui.workers import Job

if TYPE_CHECKING:
    from storedesk.provisioning.doctor import Report
    from storedesk.ui.session import ClusterSession, ClusterState, ContextChoice
    from storedesk.ui.workers import TaskRunner

# A verdict looks like the store status it is closest to: the same icon and colour as
# the table's, so a problem reads the same everywhere in the window.
_COLOURS = {
    Verdict.OK: "Ready",
    Verdict.INFO: "Unknown",
    Verdict.WARNING: "Deleting",
    Verdict.PROBLEM: "Failed",
}


def verdict_icon(verdict: Verdict) -> QIcon:
    """The icon of a verdict: the status icon of its closest store status."""
    return phase_icon(Phase(_COLOURS[verdict]))


class ClusterCheck(QObject):
    """The reports kept for this window's contexts, and the checks running for them."""

    changed = Signal()  # a report arrived, a check started, or the context changed

    def __init__(
        self, runner: TaskRunner, session: ClusterSession, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.runner = runner
        self.session = session
        self.reports: dict[ContextChoice, Report] = {}
        self.errors: dict[ContextChoice, str] = {}
        self.running: set[ContextChoice] = set()
        self._parent = parent
        self._dialog: ClusterCheckDialog | None = None
        self.status_button = QToolButton(parent)
        self.status_button.setObjectName("clusterCheckStatus")
        self.status_button.setAutoRaise(True)
        self.status_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.status_button.setToolTip("Open the cluster check")
        self.status_button.clicked.connect(self.open_dialog)
        self.status_button.hide()
        session.state_changed.connect(self._on_state)
        self.changed.connect(self._show_status)

    @property
    def dialog(self) -> ClusterCheckDialog:
        """The checks' dialog, made when first wanted (not while the window starts)."""
        if self._dialog is None:
            self._dialog = ClusterCheckDialog(self, self._parent)
        return self._dialog

    @property
    def choice(self) -> ContextChoice | None:
        """The context the window follows."""
        return self.session.choice

    def report(self) -> Report | None:
        """The report kept for the selected context, if it was checked."""
        return self.reports.get(self.choice) if self.choice is not None else None

    def open_dialog(self) -> None:
        """Show the checks of the selected context (non-modal); checks it if never done."""
        self.dialog.show_checks()
        self.dialog.show()
        self.dialog.raise_()
        if self.choice is not None and self.choice not in self.reports:
            self.run()

    def run(self) -> None:
        """Check the selected context again, on a worker (once at a time per context)."""
        choice, service = self.choice, self.session.service
        if choice is None or service is None or choice in self.running:
            return
        from storedesk.provisioning.doctor import run_checks

        self.running.add(choice)
        self.errors.pop(choice, None)
        task = self.runner.run(
            Job("check the cluster", choice.name),
            lambda: run_checks(service),
            report_errors=False,
            on_result=lambda report: self._done(choice, report),
        )
        task.error.connect(lambda error: self._failed(choice, error))
        self.changed.emit()

    # -- on the GUI thread ----------------------------------------------------------------------

    def _on_state(self, state: ClusterState) -> None:
        # The first time a context answers, check it; after that, its report is kept.
        if state.connection == Connection.REACHABLE and state.choice not in self.reports:
            self.run()
        self.changed.emit()

    def _done(self, choice: ContextChoice, report: Report) -> None:
        self.running.discard(choice)
        self.reports[choice] = report
        self.changed.emit()

    def _failed(self, choice: ContextChoice, error: BaseException) -> None:
        self.running.discard(choice)
        self.errors[choice] = describe_error(error)
        self.changed.emit()

    def _show_status(self) -> None:
        choice, report = self.choice, self.report()
        button = self.status_button
        if choice is None:
            button.hide()
            return
        if choice in self.running:
            button.setText("Checking the cluster…")
            button.setIcon(verdict_icon(Verdict.INFO))
        elif report is not None:
            button.setText(f"Cluster check: {report.summary}")
            button.setIcon(verdict_icon(report.verdict))
        else:
            button.setText("Cluster check")
            button.setIcon(QIcon())
        button.show()


class CheckRow(QFrame):
    """One check: icon, title and verdict, the sentence, and the fix."""

    def __init__(self, result: CheckResult, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.result = result
        self.setObjectName(f"check-{result.check.value}")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        size = self.style().pixelMetric(QStyle.PixelMetric.PM_SmallIconSize)
        icon = QLabel(self)
        icon.setPixmap(verdict_icon(result.verdict).pixmap(size, size))
        colour = status_color(_COLOURS[result.verdict]).name()
        self.heading = QLabel(
            f"<b>{escape(result.title)}</b> &nbsp;"
            f"<span style='color:{colour}'>{escape(result.verdict.value)}</span>",
            self,
        )
        self.message = QLabel(result.message, self)
        self.message.setTextFormat(Qt.TextFormat.PlainText)  # the cluster's words, as said
        self.fix = QLabel(f"<i>Fix:</i> {code_html(result.fix)}" if result.fix else "", self)
        self.fix.setVisible(bool(result.fix))
        for label in (self.message, self.fix):
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QGridLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addWidget(icon, 0, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.heading, 0, 1)
        layout.addWidget(self.message, 1, 1)
        layout.addWidget(self.fix, 2, 1)
        layout.setColumnStretch(1, 1)


class ClusterCheckDialog(QDialog):
    """The selected context's checks, with Check again."""

    def __init__(self, checks: ClusterCheck, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.checks = checks
        self.setObjectName("clusterCheckDialog")
        self.setMinimumSize(560, 420)
        self.resize(720, 720)
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.rows: list[CheckRow] = []
        self._list = QWidget(self)
        self._list_layout = QVBoxLayout(self._list)
        self._list_layout.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self._list)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.again_button = QPushButton("Check again", self)
        self.buttons.addButton(self.again_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.again_button.clicked.connect(checks.run)
        self.buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.buttons)
        checks.changed.connect(self.show_checks)
        self.show_checks()

    def row(self, title: str) -> CheckRow | None:
        """The row of the check called `title` (for keyboard users' and tests' sake)."""
        return next((r for r in self.rows if r.result.title == title), None)

    def show_checks(self) -> None:
        """Show what is known of the selected context: its report, a check running, or why
        there is none."""
        choice = self.checks.choice
        name = choice.name if choice is not None else "no context"
        self.setWindowTitle(f"Cluster check — {name}")
        report = self.checks.report()
        running = choice is not None and choice in self.checks.running
        self.again_button.setEnabled(
            choice is not None and not running and self.checks.session.service is not None
        )
        self._set_rows(report.results if report is not None else ())
        self.summary.setText(self._summary(choice, report, running))

    def _summary(self, choice: ContextChoice | None, report: Report | None, running: bool) -> str:
        if choice is None:
            return "Select a context to check its cluster."
        parts = []
        if report is not None:
            when = report.checked_at.astimezone().strftime("%H:%M:%S")
            parts.append(
                f"<b>{escape(choice.name)}</b>, engine {escape(report.engine)}: "
                f"{escape(report.summary)} (checked at {when})."
            )
        if running:
            parts.append("Checking the cluster…")
        elif choice in self.checks.errors:
            parts.append(f"The check failed: {escape(self.checks.errors[choice])}")
        elif report is None:
            parts.append("Not checked yet: the check runs once the cluster answers.")
        return " ".join(parts)

    def _set_rows(self, results: tuple[CheckResult, ...]) -> None:
        if tuple(r.result for r in self.rows) == results:
            return  # the same report: keep the rows (and any text selected in them)
        for row in self.rows:
            row.deleteLater()
        self.rows = [CheckRow(result, self._list) for result in results]
        while self._list_layout.count():
            self._list_layout.takeAt(0)
        for row in self.rows:
            self._list_layout.addWidget(row)
        self._list_layout.addStretch(1)
