"""The details pane's Logs tab: the last lines of one container of the store's pods.

It asks for a log (a signal; the window reads it on a worker) only while it is shown:
when a container is chosen, the line count changes, Reload is pressed, or every
FOLLOW_MS in follow mode. One read at a time; a request made meanwhile waits its turn.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFontDatabase, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from storedesk.domain.models import PodFact
from storedesk.provisioning.logs import DEFAULT_TAIL, LogRequest, PodLog, failing_container

FOLLOW_MS = 2_000
_SEPARATOR = "\n"  # between pod and container in a combo item's data (a string: Qt keeps it)
TAILS = (100, DEFAULT_TAIL, 1_000, 5_000)


class LogsTab(QWidget):
    """Container, lines, previous run, follow, copy; then the log itself."""

    requested = Signal(object)  # LogRequest: read this log
    copy_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store: str | None = None
        self._restarts: dict[tuple[str, str], int] = {}
        self.failing: tuple[str, str] | None = None  # (pod, container) that keeps it down
        self._reading: LogRequest | None = None
        self._again = False
        self.container_combo = QComboBox(self)
        self.container_combo.setObjectName("logContainer")
        self.container_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.container_combo.setMinimumContentsLength(12)
        self.container_combo.setToolTip("The pod and container whose log is shown")
        self.tail_combo = QComboBox(self)
        for tail in TAILS:
            self.tail_combo.addItem(f"last {tail} lines", tail)
        self.tail_combo.setCurrentIndex(TAILS.index(DEFAULT_TAIL))
        self.previous_check = QCheckBox("Previous run", self)
        self.previous_check.setToolTip(
            "The log of the container's run before its last restart (why it crashed)"
        )
        self.follow_check = QCheckBox("Follow", self)
        self.follow_check.setToolTip(f"Read the log again every {FOLLOW_MS // 1000} s")
        self.reload_button = QPushButton("Reload", self)
        self.copy_button = QPushButton("Copy", self)
        self.copy_button.setToolTip("Copy the lines shown")
        self.text = QPlainTextEdit(self)
        self.text.setObjectName("logText")
        self.text.setReadOnly(True)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.note = QLabel(self)
        self.note.setWordWrap(True)
        self.note.setEnabled(False)
        self.note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # Two rows: the pane stays narrow enough to sit beside the table.
        which = QHBoxLayout()
        which.addWidget(self.container_combo, 1)
        which.addWidget(self.tail_combo)
        controls = QHBoxLayout()
        controls.addWidget(self.previous_check)
        controls.addWidget(self.follow_check)
        controls.addStretch(1)
        controls.addWidget(self.reload_button)
        controls.addWidget(self.copy_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addLayout(which)
        layout.addLayout(controls)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.note)
        self._timer = QTimer(self)
        self._timer.setInterval(FOLLOW_MS)
        self._timer.timeout.connect(self._follow)
        self.container_combo.currentIndexChanged.connect(self._chosen)
        self.tail_combo.currentIndexChanged.connect(lambda _: self.request())
        self.previous_check.toggled.connect(lambda _: self.request())
        self.follow_check.toggled.connect(self._set_follow)
        self.reload_button.clicked.connect(self.request)
        self.copy_button.clicked.connect(lambda: self.copy_requested.emit(self.text.toPlainText()))
        self._update_controls()

    # -- what the pane tells the tab -------------------------------------------------------

    def clear(self, store: str) -> None:
        """Another store: nothing shown until its pods are known."""
        self.store = store
        self._restarts, self.failing = {}, None
        self._reading, self._again = None, False
        self.container_combo.blockSignals(True)
        self.container_combo.clear()
        self.container_combo.blockSignals(False)
        self.text.clear()
        self.note.setText("")
        self._update_controls()

    def set_pods(self, pods: Sequence[PodFact]) -> None:
        """Offer every container of `pods`, keeping the one chosen if it is still there."""
        chosen = self.chosen()
        self._restarts = {(p.name, c.name): c.restarts for p in pods for c in p.containers}
        self.failing = failing_container(pods)
        combo = self.container_combo
        combo.blockSignals(True)
        combo.clear()
        for pod in pods:
            for container in pod.containers:
                combo.addItem(f"{pod.name} / {container.name}", _key(pod.name, container.name))
        index = combo.findData(_key(*chosen)) if chosen else -1
        combo.setCurrentIndex(index if index >= 0 else (0 if combo.count() else -1))
        combo.blockSignals(False)
        self._update_controls()
        if self.chosen() != chosen:
            self._chosen()
        elif not combo.count():
            self.text.clear()
            self.note.setText(
                "The store's containers have not started yet: there is no log to read."
                if pods
                else "The store has no pods, so no logs."
            )

    def choose(self, pod: str, container: str) -> None:
        """Show the log of `container` of `pod` (a failed store opens on its failing one)."""
        index = self.container_combo.findData(_key(pod, container))
        if index >= 0 and index != self.container_combo.currentIndex():
            self.container_combo.setCurrentIndex(index)

    def chosen(self) -> tuple[str, str] | None:
        """(pod, container) chosen, if any."""
        data = self.container_combo.currentData()
        if not isinstance(data, str) or _SEPARATOR not in data:
            return None
        pod, container = data.split(_SEPARATOR, 1)
        return pod, container

    def request(self) -> None:
        """Read the chosen log now (or once the read under way has ended); only while shown."""
        chosen = self.chosen()
        if self.store is None or chosen is None or not self.isVisible():
            return
        if self._reading is not None:
            self._again = True
            return
        self._reading = LogRequest(
            self.store,
            chosen[0],
            chosen[1],
            tail=int(self.tail_combo.currentData()),
            previous=self.previous_check.isChecked() and self.previous_check.isEnabled(),
        )
        self.note.setText(f"Reading the log of {chosen[0]} / {chosen[1]}…")
        self.requested.emit(self._reading)

    def show_log(self, log: PodLog) -> None:
        """A log read for this tab arrived."""
        if log.request != self._reading:
            return
        self._reading = None
        if self.store == log.request.store and self.chosen() == (
            log.request.pod,
            log.request.container,
        ):
            bar = self.text.verticalScrollBar()
            at_end = bar.value() >= bar.maximum() - 2 or self.follow_check.isChecked()
            if log.text != self.text.toPlainText():
                keep = bar.value()
                self.text.setPlainText(log.text)
                bar.setValue(bar.maximum() if at_end else keep)
            when = log.read_at.astimezone().strftime("%H:%M:%S") if log.read_at else ""
            count = len(log.lines)
            self.note.setText(
                log.problem
                if log.problem
                else f"{count} line{'s' if count != 1 else ''}, read at {when}"
                + (" (the run before the last restart)" if log.request.previous else "")
            )
        self._again_if_asked()

    def show_problem(self, request: LogRequest, message: str) -> None:
        """Reading a log failed (the cluster did not answer)."""
        if request != self._reading:
            return
        self._reading = None
        self.note.setText(f"Could not read the log: {message}")
        self._again_if_asked()

    # -- internals ---------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        """Shown: read the chosen log, and follow it if asked."""
        super().showEvent(event)
        self._set_follow(self.follow_check.isChecked())
        self.request()

    def _chosen(self, *_: object) -> None:
        self._update_controls()
        self.text.clear()
        self.request()

    def _set_follow(self, on: bool) -> None:
        if on:
            self._timer.start()
            self.request()
        else:
            self._timer.stop()

    def _follow(self) -> None:
        if not self.isVisible():
            self._timer.stop()  # started again when the tab is shown
            return
        if self._reading is None:
            self.request()

    def _again_if_asked(self) -> None:
        if self._again:
            self._again = False
            self.request()

    def _update_controls(self) -> None:
        chosen = self.chosen()
        restarted = bool(chosen and self._restarts.get(chosen, 0) > 0)
        self.previous_check.setEnabled(restarted)
        for widget in (self.reload_button, self.copy_button, self.tail_combo, self.follow_check):
            widget.setEnabled(chosen is not None)


def _key(pod: str, container: str) -> str:
    return f"{pod}{_SEPARATOR}{container}"
