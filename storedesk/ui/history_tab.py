"""The details pane's History tab: a store's helm revisions, and rolling back to one."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from html import escape

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from storedesk.domain.models import ReleaseInfo
from storedesk.domain.status import describe_age
from storedesk.ui.details_views import WrappingDelegate, fit_columns

COLUMNS = ["Revision", "Status", "Chart", "App version", "Updated", "Description"]


def _when(updated: datetime | None, now: datetime) -> str:
    if updated is None:
        return "-"
    local = updated.astimezone()
    # Today's revisions by their time alone: the column stays narrow beside the description.
    shown = local.strftime("%H:%M" if local.date() == now.astimezone().date() else "%Y-%m-%d %H:%M")
    return f"{shown} ({describe_age(updated, now)} ago)"


def rollback_question(store: str, current: ReleaseInfo, target: ReleaseInfo) -> str:
    """What a rollback changes, for the confirmation (rich text)."""
    return (
        f"Roll back store <b>{escape(store)}</b> from revision {current.revision} "
        f"({escape(current.chart)}, app {escape(current.app_version or '-')}) to revision "
        f"{target.revision} ({escape(target.chart)}, app {escape(target.app_version or '-')})?"
        "<br><br>helm installs revision "
        f"{target.revision}'s manifests again as a new revision; the store's pods are replaced "
        "with that revision's. Its data (database and uploads) stays, and its passwords stay "
        "the same: Storedesk never rotates them."
    )


class HistoryTab(QWidget):
    """Revisions newest first; Roll back asks first, then asks the window to do it."""

    rollback_requested = Signal(str, int)  # store, revision

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store: str | None = None
        self.revisions: list[ReleaseInfo] = []
        self.tree = QTreeWidget(self)
        self.tree.setHeaderLabels(COLUMNS)
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.header().setStretchLastSection(True)
        # The description wraps to the pane's width: no sideways scrolling.
        self.tree.setItemDelegateForColumn(len(COLUMNS) - 1, WrappingDelegate(self.tree))
        self.tree.itemSelectionChanged.connect(self._selection_changed)
        self.note = QLabel(self)
        self.note.setWordWrap(True)
        self.note.setEnabled(False)
        self.rollback_button = QPushButton("Roll back to this revision…", self)
        self.rollback_button.setEnabled(False)
        self.rollback_button.clicked.connect(self._ask_rollback)
        buttons = QHBoxLayout()
        buttons.addWidget(self.note, 1)
        buttons.addWidget(self.rollback_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(self.tree, 1)
        layout.addLayout(buttons)

    def clear(self, store: str) -> None:
        """Another store: nothing to show until its history is loaded."""
        self.store, self.revisions = store, []
        self.tree.clear()
        self.note.setText("Loading the history…")
        self.rollback_button.setEnabled(False)

    def show_history(self, store: str, revisions: Sequence[ReleaseInfo]) -> None:
        """Fill the revisions of `store` (oldest first as helm gives them; shown newest first)."""
        if store != self.store:
            return
        self.revisions = list(revisions)
        self.tree.clear()
        now = datetime.now(UTC)
        for info in reversed(self.revisions):
            item = QTreeWidgetItem(
                [
                    str(info.revision),
                    info.status,
                    info.chart,
                    info.app_version or "-",
                    _when(info.updated, now),
                    info.description,
                ]
            )
            item.setData(0, Qt.ItemDataRole.UserRole, info.revision)
            if info.updated is not None:
                item.setToolTip(4, info.updated.astimezone().strftime("%Y-%m-%d %H:%M:%S"))
            item.setToolTip(5, info.description)
            self.tree.addTopLevelItem(item)
        fit_columns(self.tree, stretch=len(COLUMNS) - 1)
        self.note.setText("Select an earlier revision to roll back to it.")
        self._selection_changed()

    def show_problem(self, store: str, message: str) -> None:
        """Loading the history failed."""
        if store == self.store:
            self.note.setText(f"Could not load the history: {message}")

    def selected(self) -> ReleaseInfo | None:
        """The revision selected, if any."""
        items = self.tree.selectedItems()
        if not items:
            return None
        revision = items[0].data(0, Qt.ItemDataRole.UserRole)
        return next((r for r in self.revisions if r.revision == revision), None)

    def _selection_changed(self) -> None:
        target = self.selected()
        current = self.revisions[-1] if self.revisions else None
        self.rollback_button.setEnabled(
            target is not None and current is not None and target.revision != current.revision
        )

    def _ask_rollback(self) -> None:
        target = self.selected()
        if self.store is None or target is None or not self.revisions:
            return
        box = QMessageBox(self)
        box.setWindowTitle("Roll back")
        box.setIcon(QMessageBox.Icon.Question)
        box.setTextFormat(Qt.TextFormat.RichText)
        box.setText(rollback_question(self.store, self.revisions[-1], target))
        confirm = box.addButton("Roll back", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(confirm)
        box.exec()
        if box.clickedButton() is confirm:
            self.rollback_requested.emit(self.store, target.revision)
