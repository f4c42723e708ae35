"""The store table view: sorting and filtering through a proxy, one selected store at a time,
and what it says when it has no row to show (no cluster, no store yet, no match)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QItemSelection, QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QKeyEvent, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from storedesk.domain.models import StoreRecord
from storedesk.ui.busy_delegate import BusyDelegate
from storedesk.ui.store_model import RECORD_ROLE, SORT_ROLE, Column, StoreTableModel

MIN_WIDTH = 300  # pixels: the table never shrinks below this, whatever the details hold


class EmptyState(QWidget):
    """A sentence and, when there is one, the button that helps, centred in the table."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("emptyState")
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.label.setEnabled(False)  # the placeholder look
        self.button = QPushButton(self)
        self.button.hide()
        self._callback: Callable[[], None] | None = None
        self.button.clicked.connect(lambda: self._callback() if self._callback else None)
        layout = QVBoxLayout(self)
        layout.addWidget(self.label)
        layout.addWidget(self.button, 0, Qt.AlignmentFlag.AlignHCenter)
        self.hide()

    def set(self, text: str, button: str | None, callback: Callable[[], None] | None) -> None:
        """Say `text`, with a button `button` calling `callback` (None: no button)."""
        self.label.setText(text)
        self._callback = callback
        self.button.setText(button or "")
        self.button.setVisible(bool(button and callback))


class StoreTable(QTableView):
    """Rows of stores; tells which store is selected (by name) whenever that changes."""

    selected_changed = Signal(object)  # str | None
    opened = Signal(str)  # a row was double-clicked or Enter was pressed on it

    def __init__(self, model: StoreTableModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store_model = model
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(model)
        self.proxy.setSortRole(SORT_ROLE)
        self.proxy.setFilterKeyColumn(-1)  # the filter box matches any column
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.proxy.setDynamicSortFilter(True)
        self.setModel(self.proxy)
        self.setObjectName("storeTable")
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setSortingEnabled(True)
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.verticalHeader().hide()
        self.sortByColumn(Column.NAME, Qt.SortOrder.AscendingOrder)
        header = self.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(Column.URL, QHeaderView.ResizeMode.Stretch)
        header.setHighlightSections(False)
        for column, width in (
            (Column.NAME, 130),
            (Column.ENGINE, 105),
            (Column.STATUS, 190),
            (Column.PODS, 80),
            (Column.AGE, 50),
        ):
            self.setColumnWidth(column, width)
        self.busy_delegate = BusyDelegate(self)
        self.setItemDelegateForColumn(Column.NAME, self.busy_delegate)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.setMinimumWidth(MIN_WIDTH)
        # Over the rows' area, below the header (a child of the table, not of its viewport:
        # asking for the viewport costs a noticeable moment at start-up).
        self.empty_state = EmptyState(self)
        self._selected: str | None = None
        self.selectionModel().selectionChanged.connect(self._selection_changed)
        self.doubleClicked.connect(lambda _: self._open_selected())
        model.dataChanged.connect(self._rows_changed)
        model.rowsInserted.connect(self._rows_changed)
        model.rowsRemoved.connect(self._rows_changed)
        for signal in (self.proxy.rowsInserted, self.proxy.rowsRemoved, self.proxy.modelReset):
            signal.connect(self._place_empty_state)
        self.proxy.layoutChanged.connect(self._place_empty_state)

    def set_filter(self, text: str) -> None:
        """Show only rows with `text` in some column."""
        self.proxy.setFilterFixedString(text)
        self._place_empty_state()

    def shown_rows(self) -> int:
        """Rows the filter lets through."""
        return self.proxy.rowCount()

    def set_empty_state(
        self,
        text: str,
        button: str | None = None,
        callback: Callable[[], None] | None = None,
    ) -> None:
        """What the table says while it shows no row."""
        self.empty_state.set(text, button, callback)
        self._place_empty_state()

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Keep the empty state centred."""
        super().resizeEvent(event)
        self._place_empty_state()

    def _place_empty_state(self, *_: object) -> None:
        state = self.empty_state
        shown = self.proxy.rowCount() == 0 and bool(state.label.text())
        if shown:
            room = self.contentsRect()
            room.setTop(room.top() + self.horizontalHeader().height())
            width = max(120, min(room.width() - 24, 420))
            height = state.heightForWidth(width)
            height = height if height > 0 else state.sizeHint().height()
            top = max(room.top() + 12, room.center().y() - height // 2)
            state.setGeometry(room.center().x() - width // 2, top, width, height)
            state.raise_()
        state.setVisible(shown)

    def selected_record(self) -> StoreRecord | None:
        """The selected store's record."""
        rows = self.selectionModel().selectedRows()
        return rows[0].data(RECORD_ROLE) if rows else None

    def selected_name(self) -> str | None:
        """The selected store's name."""
        record = self.selected_record()
        return record.name if record else None

    def select(self, name: str) -> None:
        """Select the row of `name` (if shown) and scroll to it."""
        row = self.store_model.row_of(name)
        if row is None:
            return
        index = self.proxy.mapFromSource(self.store_model.index(row, Column.NAME))
        if index.isValid():
            self.selectRow(index.row())
            self.scrollTo(index)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Enter opens the selected store like a double-click."""
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self._selected:
            self._open_selected()
            return
        super().keyPressEvent(event)

    def _open_selected(self) -> None:
        if self._selected:
            self.opened.emit(self._selected)

    def _selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        self._emit_if_changed()

    def _rows_changed(self, *_: object) -> None:
        self.busy_delegate.set_spinning(self.store_model.has_busy_rows())
        self._emit_if_changed()

    def _emit_if_changed(self) -> None:
        name = self.selected_name()
        if name != self._selected:
            self._selected = name
            self.selected_changed.emit(name)
