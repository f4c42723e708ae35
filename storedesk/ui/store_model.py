"""The store table's model: one row per StoreRecord, updated in place.

`set_records` diffs each snapshot against the rows shown: removed stores go with
beginRemoveRows, new ones come with beginInsertRows, and only the cells whose text,
icon or tooltip changed get a dataChanged. So selection, scroll position and the
sort order survive every update.

A store being created in this window shows at once as an optimistic row (Provisioning);
snapshots that do not list it yet leave it alone until its operation has finished.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import IntEnum
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from storedesk.domain.models import Phase, StoreRecord, StoreStatus
from storedesk.domain.status import describe_age, status_text
from storedesk.errors import InvalidInput, NextStep
from storedesk.provisioning.engines import engines
from storedesk.ui.icons import phase_icon

if TYPE_CHECKING:
    from storedesk.provisioning.upgrades import Upgrade

RECORD_ROLE = Qt.ItemDataRole.UserRole + 1  # the row's StoreRecord
BUSY_ROLE = Qt.ItemDataRole.UserRole + 2  # what this window is doing to the store, or None
SORT_ROLE = Qt.ItemDataRole.UserRole + 3  # a sortable key per column

_PHASE_ORDER = {
    Phase.FAILED: 0,
    Phase.PROVISIONING: 1,
    Phase.DELETING: 2,
    Phase.RUNNING: 3,
    Phase.UNKNOWN: 4,
    Phase.READY: 5,
}


Index = QModelIndex | QPersistentModelIndex


class Column(IntEnum):
    """The table's columns, in order."""

    NAME = 0
    ENGINE = 1
    STATUS = 2
    PODS = 3
    URL = 4
    AGE = 5


HEADERS = {
    Column.NAME: "Name",
    Column.ENGINE: "Engine",
    Column.STATUS: "Status",
    Column.PODS: "Pods ready",
    Column.URL: "URL",
    Column.AGE: "Age",
}


@dataclass(frozen=True)
class _Row:
    record: StoreRecord
    confirmed: bool = True  # listed by the cluster (False: an optimistic row)
    expiring: bool = False  # optimistic row whose operation ended: the next snapshot decides
    busy: str | None = None


def engine_name(engine: str) -> str:
    """The engine's display name ('WooCommerce'), or the raw name for an unknown engine."""
    try:
        return engines().get(engine).display_name
    except InvalidInput:
        return engine


def status_tooltip(status: StoreStatus) -> str:
    """The status, its reason, detail and suggested fix, one per line."""
    lines = [status_text(status)]
    if status.detail:
        lines.append(status.detail)
    if status.fix:
        lines.append(f"Fix: {status.fix}")
    return "\n".join(lines)


def shown_status(status: StoreStatus, busy: str | None) -> tuple[str, Phase]:
    """The status as the window shows it while it works on the store: a failure the
    running operation is about to replace reads as that operation, not as "Failed"."""
    if busy and status.phase == Phase.FAILED:
        was = f" (last try: {status.reason})" if status.reason else ""
        return f"{busy[:1].upper()}{busy[1:]}…{was}", Phase.PROVISIONING
    return status_text(status), status.phase


def upgrade_note(upgrade: Upgrade) -> str:
    """How a row says that a newer chart is shipped."""
    return f"upgrade to {upgrade.shipped}"


class StoreTableModel(QAbstractTableModel):
    """Store records as table rows."""

    def __init__(self, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        super().__init__()
        self._clock = clock
        self._now = clock()
        self._rows: list[_Row] = []
        self._index: dict[str, int] = {}
        self._upgrades: dict[str, Upgrade] = {}

    @property
    def now(self) -> datetime:
        """The model's clock as of its last tick: ages anywhere in the window use it, so
        the table and the details always agree."""
        return self._now

    # -- Qt model interface ----------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        """Rows: one per store (none under an item)."""
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        """Columns: see Column."""
        return 0 if parent.isValid() else len(Column)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        """Column titles."""
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[Column(section)]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """One cell's text, icon, tooltip, alignment, record, busy label or sort key."""
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        row = self._rows[index.row()]
        column = Column(index.column())
        if role == RECORD_ROLE:
            return row.record
        if role == BUSY_ROLE:
            return row.busy
        if role == Qt.ItemDataRole.DecorationRole and column == Column.STATUS:
            return phase_icon(shown_status(row.record.status, row.busy)[1])
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (Column.PODS, Column.AGE):
            return int(Qt.AlignmentFlag.AlignCenter)
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole, SORT_ROLE):
            display, tooltip, key = self._look(row, column)
            return {
                Qt.ItemDataRole.DisplayRole: display,
                Qt.ItemDataRole.ToolTipRole: tooltip,
                SORT_ROLE: key,
            }[role]
        return None

    # -- updates ---------------------------------------------------------------------------

    def set_records(self, records: Sequence[StoreRecord]) -> None:
        """Show what the cluster lists now, changing only what changed. Ages keep the
        clock of the last tick: the table and the details read the same one."""
        incoming = {record.name: record for record in records}
        for position in reversed(range(len(self._rows))):
            row = self._rows[position]
            pending = not row.confirmed and not row.expiring
            if row.record.name not in incoming and not pending:
                self._remove(position)
        for position, row in enumerate(self._rows):
            record = incoming.get(row.record.name)
            if record is not None:
                self._replace(position, replace(row, record=record, confirmed=True, expiring=False))
        self._insert([_Row(r) for name, r in incoming.items() if name not in self._index])

    def add_pending(self, record: StoreRecord) -> None:
        """Show a store this window is creating, before the cluster lists it."""
        position = self._index.get(record.name)
        if position is None:
            self._insert([_Row(record, confirmed=False)])
        elif not self._rows[position].confirmed:  # a listed store keeps its listed state
            self._replace(position, _Row(record, confirmed=False, busy=self._rows[position].busy))

    def settle(self, name: str, error: str | None) -> None:
        """An operation this window ran on `name` ended; an optimistic row stays until the
        next snapshot, showing the failure if there was one."""
        position = self._index.get(name)
        if position is None or self._rows[position].confirmed:
            return
        row = self._rows[position]
        if error is not None:
            failed = StoreStatus(
                Phase.FAILED,
                reason="create failed",
                detail=error,
                fix="fix the problem, then retry the create",
                next_steps=(NextStep.RETRY_CREATE, NextStep.DELETE),
            )
            row = replace(row, record=replace(row.record, status=failed))
        self._replace(position, replace(row, expiring=True))

    def set_busy(self, name: str, label: str | None) -> None:
        """Mark a row as having an operation running in this window (None: no longer)."""
        position = self._index.get(name)
        if position is not None:
            self._replace(position, replace(self._rows[position], busy=label))

    def set_upgrades(self, upgrades: Mapping[str, Upgrade]) -> None:
        """Mark the rows whose store runs an older chart than the shipped one."""
        before, self._upgrades = self._upgrades, dict(upgrades)
        for name in set(before) | set(self._upgrades):
            position = self._index.get(name)
            if position is not None and before.get(name) != self._upgrades.get(name):
                cell = self.index(position, Column.STATUS)
                self.dataChanged.emit(cell, cell)

    def upgrade(self, name: str) -> Upgrade | None:
        """The upgrade `name` can have, if its chart is older than the shipped one."""
        return self._upgrades.get(name)

    def clear(self) -> None:
        """Drop every row (another cluster was selected)."""
        self._upgrades = {}
        if self._rows:
            self.beginRemoveRows(QModelIndex(), 0, len(self._rows) - 1)
            self._rows, self._index = [], {}
            self.endRemoveRows()

    def tick(self) -> None:
        """Advance the clock: refresh the age cells whose text changed (every second: only
        the ages are compared, nothing else is formatted)."""
        before, self._now = self._now, self._clock()
        changed = [
            position
            for position, row in enumerate(self._rows)
            if describe_age(row.record.created, self._now)
            != describe_age(row.record.created, before)
        ]
        if changed:  # one signal per tick: the window reacts once, not once per row
            first, last = self.index(changed[0], Column.AGE), self.index(changed[-1], Column.AGE)
            self.dataChanged.emit(first, last, [Qt.ItemDataRole.DisplayRole, SORT_ROLE])

    # -- queries ---------------------------------------------------------------------------

    def record(self, name: str) -> StoreRecord | None:
        """The shown record of `name`, if it has a row."""
        position = self._index.get(name)
        return None if position is None else self._rows[position].record

    def busy(self, name: str) -> str | None:
        """The operation this window runs on `name`, if any."""
        position = self._index.get(name)
        return None if position is None else self._rows[position].busy

    def listed(self, name: str) -> bool:
        """Whether the cluster listed `name` (False for an optimistic row)."""
        position = self._index.get(name)
        return position is not None and self._rows[position].confirmed

    def names(self) -> list[str]:
        """Every store shown, in row order."""
        return [row.record.name for row in self._rows]

    def row_of(self, name: str) -> int | None:
        """The model row of `name`, if shown."""
        return self._index.get(name)

    def has_busy_rows(self) -> bool:
        """Whether any row shows a running operation."""
        return any(row.busy for row in self._rows)

    # -- internals -------------------------------------------------------------------------

    def _look(self, row: _Row, column: Column) -> tuple[str, str | None, Any]:
        """(text, tooltip, sort key) of one cell."""
        record, status = row.record, row.record.status
        if column == Column.NAME:
            tip = f"{record.name}: {row.busy}…" if row.busy else record.namespace
            return record.name, tip, record.name
        if column == Column.ENGINE:
            shown = engine_name(record.engine)
            return shown, None, shown
        if column == Column.STATUS:
            text, _ = shown_status(status, row.busy)
            tip = status_tooltip(status)
            upgrade = self._upgrades.get(record.name)
            if upgrade is not None:
                text += f" · {upgrade_note(upgrade)}"
                tip += (
                    f"\nChart {upgrade.deployed_chart} is deployed; this Storedesk ships "
                    f"{upgrade.shipped_chart} (Store > Upgrade…)"
                )
            return text, tip, f"{_PHASE_ORDER[status.phase]}{status.reason or ''}"
        if column == Column.PODS:
            if not status.pods_total:
                return "-", "no pods yet", -1.0
            return (
                f"{status.pods_ready}/{status.pods_total}",
                f"{status.pods_ready} of {status.pods_total} pods ready",
                status.pods_ready / status.pods_total,
            )
        if column == Column.URL:
            return record.url or "", record.url, record.url or ""
        created = record.created.timestamp() if record.created else 0.0
        when = (
            record.created.astimezone().strftime("created %Y-%m-%d %H:%M")
            if record.created
            else None
        )
        return describe_age(record.created, self._now), when, -created

    def _cell_state(self, row: _Row, column: Column) -> tuple[object, ...]:
        """Everything a view shows of a cell, to tell whether it changed."""
        state: tuple[object, ...] = self._look(row, column)
        if column == Column.STATUS:
            state += (shown_status(row.record.status, row.busy)[1],)
        if column == Column.NAME:
            state += (row.busy,)
        return state

    def _replace(self, position: int, new: _Row) -> None:
        old = self._rows[position]
        self._rows[position] = new
        if old == new:  # most snapshots change few rows: skip the per-cell comparison
            return
        changed = [c for c in Column if self._cell_state(old, c) != self._cell_state(new, c)]
        # One dataChanged per run of adjacent changed cells.
        runs: list[list[Column]] = []
        for column in changed:
            if runs and runs[-1][-1] == column - 1:
                runs[-1].append(column)
            else:
                runs.append([column])
        for run in runs:
            self.dataChanged.emit(self.index(position, run[0]), self.index(position, run[-1]))

    def _insert(self, rows: list[_Row]) -> None:
        if not rows:
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
        self._rows.extend(rows)
        self._reindex()
        self.endInsertRows()

    def _remove(self, position: int) -> None:
        self.beginRemoveRows(QModelIndex(), position, position)
        del self._rows[position]
        self._reindex()
        self.endRemoveRows()

    def _reindex(self) -> None:
        self._index = {row.record.name: i for i, row in enumerate(self._rows)}
