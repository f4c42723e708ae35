"""The details pane's lists: the store's pods, its namespace's Kubernetes events and
Storedesk's event log. Each fits its pane: names keep their distinguishing ends, messages
wrap instead of scrolling sideways, and every state has the table's icon and colour."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtWidgets import (
    QHeaderView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeWidget,
    QTreeWidgetItem,
    QWidget,
)

from storedesk.domain.models import EventFact, Phase, PodFact
from storedesk.domain.status import CRASH_REASON, IMAGE_REASONS, START_REASONS, describe_age
from storedesk.provisioning.events import LogEntry, Outcome
from storedesk.ui.icons import phase_icon
from storedesk.ui.palette import status_color

OBJECT_COLUMN = 180  # pixels: the widest the event's object grows (its name elides in the middle)
WHEN_ROLE = Qt.ItemDataRole.UserRole + 10  # an item's datetime, for its "N ago" text

_FAILING = IMAGE_REASONS | START_REASONS | {CRASH_REASON}
_OUTCOME_PHASE: dict[str, Phase] = {
    Outcome.OK: Phase.READY,
    Outcome.FAILED: Phase.FAILED,
    Outcome.STARTED: Phase.PROVISIONING,
    Outcome.INFO: Phase.UNKNOWN,
}


def pod_state(pod: PodFact) -> str:
    """What a pod is doing, as `kubectl get pods` would say it."""
    if pod.deleting:
        return "Terminating"
    waiting = next((c.waiting_reason for c in pod.containers if c.waiting_reason), None)
    return waiting or pod.phase


def pod_phase(pod: PodFact) -> Phase:
    """The status icon a pod gets: a pull, start or crash failure is a failure, never
    "still starting"."""
    if pod.deleting:
        return Phase.DELETING
    if pod.phase == "Failed" or any(c.waiting_reason in _FAILING for c in pod.containers):
        return Phase.FAILED
    if pod.ready or pod.phase == "Succeeded":
        return Phase.READY
    return Phase.PROVISIONING


class WrappingDelegate(QStyledItemDelegate):
    """Sizes a cell for its text wrapped at its column's width: QTreeView asks for a row's
    height without saying how wide the cell is, so word wrap alone never grows a row."""

    def __init__(self, tree: QTreeWidget) -> None:
        super().__init__(tree)
        self._tree = tree
        tree.setWordWrap(True)
        tree.setUniformRowHeights(False)
        tree.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        tree.header().setMinimumSectionSize(40)
        # A column's new width changes how its texts wrap: lay the rows out again.
        tree.header().sectionResized.connect(lambda *_: tree.scheduleDelayedItemsLayout())

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        """The cell's size with its text wrapped to the column."""
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.rect = QRect(0, 0, max(1, self._tree.columnWidth(index.column())), 1)
        opt.features |= QStyleOptionViewItem.ViewItemFeature.WrapText
        style = self._tree.style()
        return style.sizeFromContents(QStyle.ContentsType.CT_ItemViewItem, opt, QSize(), self._tree)


def fit_columns(tree: QTreeWidget, stretch: int, capped: dict[int, int] | None = None) -> None:
    """Size every column to its content (`capped` ones at most their cap), `stretch` takes
    the rest of the width."""
    header = tree.header()
    for column in range(tree.columnCount()):
        if column == stretch:
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        elif capped and column in capped:
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            tree.resizeColumnToContents(column)
            tree.setColumnWidth(column, min(tree.columnWidth(column), capped[column]))
        else:
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)


class PodsView(QTreeWidget):
    """Pod, ready containers, restarts, state: the pod's name takes the room it needs."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setHeaderLabels(["Pod", "Ready", "Restarts", "State"])
        self.setRootIsDecorated(False)
        self.setAlternatingRowColors(True)
        self.setUniformRowHeights(True)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # keep the pod's suffix in view
        self.header().setStretchLastSection(False)
        fit_columns(self, stretch=0)

    def show_pods(self, pods: Sequence[PodFact]) -> None:
        """List `pods`."""
        self.clear()
        for pod in pods:
            ready = sum(c.ready for c in pod.containers)
            state = pod_state(pod)
            item = QTreeWidgetItem(
                [pod.name, f"{ready}/{len(pod.containers)}", str(pod.restarts), state]
            )
            item.setIcon(3, phase_icon(pod_phase(pod)))
            item.setToolTip(0, pod.name)
            said = [
                f"{c.name}: {c.waiting_reason}"
                + (f": {c.waiting_message}" if c.waiting_message else "")
                for c in pod.containers
                if c.waiting_reason
            ]
            item.setToolTip(3, "\n".join(said) or state)
            item.setData(0, Qt.ItemDataRole.UserRole, pod.name)
            self.addTopLevelItem(item)


class EventsView(QTreeWidget):
    """The namespace's Kubernetes events, newest first; a warning's reason in red."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setHeaderLabels(["Last seen", "Reason", "Object", "Message"])
        self.setRootIsDecorated(False)
        self.setAlternatingRowColors(True)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.header().setStretchLastSection(True)
        # Rows are as tall as their wrapped message at the current width.
        self.setItemDelegateForColumn(3, WrappingDelegate(self))

    def show_events(self, events: Iterable[EventFact], now: datetime) -> None:
        """List `events` (newest first), their ages as of `now`."""
        self.clear()
        for event in events:
            count = f" (x{event.count})" if event.count > 1 else ""
            item = QTreeWidgetItem(
                [
                    _ago(event.last_seen, now),
                    event.reason,
                    f"{event.involved_kind.lower()}/{event.involved_name}",
                    event.message + count,
                ]
            )
            item.setData(0, WHEN_ROLE, event.last_seen)
            item.setToolTip(2, f"{event.involved_kind} {event.involved_name}")
            item.setToolTip(1, f"{event.type}: {event.reason}")
            if event.type == "Warning":
                item.setForeground(1, status_color(Phase.FAILED.value))
                item.setIcon(1, phase_icon(Phase.FAILED))
            self.addTopLevelItem(item)
        fit_columns(self, stretch=3, capped={2: max(90, min(OBJECT_COLUMN, self.width() // 4))})

    def tick(self, now: datetime) -> None:
        """Age every event as of `now`."""
        for row in range(self.topLevelItemCount()):
            item = self.topLevelItem(row)
            if item is not None:
                item.setText(0, _ago(item.data(0, WHEN_ROLE), now))


class EventLogView(QTreeWidget):
    """Storedesk's event log of the store: what each operation did, step by step."""

    COLUMNS = ["Time", "Operation", "Step", "Outcome", "Message"]

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setHeaderLabels(self.COLUMNS)
        self.setRootIsDecorated(False)
        self.setAlternatingRowColors(True)
        self.header().setStretchLastSection(True)
        self.setItemDelegateForColumn(4, WrappingDelegate(self))
        fit_columns(self, stretch=4)

    def show_entries(self, entries: Iterable[LogEntry]) -> None:
        """List `entries` (oldest first) and scroll to the newest."""
        self.clear()
        self.addTopLevelItems([_log_item(entry) for entry in entries])
        self.scrollToBottom()

    def append(self, entry: LogEntry) -> None:
        """One more step, live."""
        at_end = self.verticalScrollBar().value() >= self.verticalScrollBar().maximum()
        self.addTopLevelItem(_log_item(entry))
        if at_end:
            self.scrollToBottom()

    def text(self) -> str:
        """Every entry as the CLI's `events` prints it."""
        items = (self.topLevelItem(row) for row in range(self.topLevelItemCount()))
        return "\n".join(
            item.data(0, Qt.ItemDataRole.UserRole).describe() for item in items if item is not None
        )


def _log_item(entry: LogEntry) -> QTreeWidgetItem:
    took = f" ({entry.duration:.1f} s)" if entry.duration is not None else ""
    local = entry.time.astimezone()
    item = QTreeWidgetItem(
        [
            local.strftime("%H:%M:%S"),
            entry.operation,
            entry.step,
            entry.outcome,
            entry.message + took,
        ]
    )
    item.setToolTip(0, local.strftime("%Y-%m-%d %H:%M:%S"))
    item.setData(0, Qt.ItemDataRole.UserRole, entry)
    phase = _OUTCOME_PHASE.get(entry.outcome, Phase.UNKNOWN)  # a StrEnum key is its text
    item.setIcon(3, phase_icon(phase))
    if phase == Phase.FAILED:
        item.setForeground(3, status_color(Phase.FAILED.value))
    return item


def _ago(when: datetime | None, now: datetime) -> str:
    return f"{describe_age(when, now)} ago" if when else "-"
