"""The store table's model: in-place updates, optimistic rows, busy markers, sorting."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import QModelIndex, Qt

from storedesk.domain.models import Phase, StoreRecord, StoreStatus
from storedesk.ui.icons import phase_icon
from storedesk.ui.store_model import BUSY_ROLE, Column, StoreTableModel
from storedesk.ui.store_table import StoreTable

pytestmark = pytest.mark.gui

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def store(
    name: str,
    phase: Phase = Phase.READY,
    ready: int = 2,
    reason: str | None = None,
    age: timedelta = timedelta(minutes=5),
) -> StoreRecord:
    return StoreRecord(
        name,
        "woocommerce",
        f"store-{name}",
        StoreStatus(phase, reason=reason, pods_ready=ready, pods_total=2),
        url=f"http://{name}.localhost/",
        created=NOW - age,
    )


class Changes:
    """Records what the model told its views."""

    def __init__(self, model: StoreTableModel) -> None:
        self.cells: list[tuple[int, int, int]] = []  # row, first column, last column
        self.inserted: list[tuple[int, int]] = []
        self.removed: list[tuple[int, int]] = []
        self.resets = 0
        model.dataChanged.connect(
            lambda a, b, *_: self.cells.append((a.row(), a.column(), b.column()))
        )
        model.rowsInserted.connect(lambda _p, first, last: self.inserted.append((first, last)))
        model.rowsRemoved.connect(lambda _p, first, last: self.removed.append((first, last)))
        model.modelReset.connect(lambda: setattr(self, "resets", self.resets + 1))


@pytest.fixture
def model(qapp) -> StoreTableModel:
    return StoreTableModel(clock=lambda: NOW)


def test_rows_show_the_records(model: StoreTableModel) -> None:
    model.set_records([store("alpha"), store("bravo", Phase.FAILED, 1, "ImagePullBackOff")])
    row = model.row_of("bravo")
    cells = [model.index(row, c).data() for c in Column]
    assert cells == [
        "bravo",
        "WooCommerce",
        "Failed: ImagePullBackOff",
        "1/2",
        "http://bravo.localhost/",
        "5m",
    ]
    assert model.index(row, Column.STATUS).data(Qt.ItemDataRole.DecorationRole) is not None


def test_a_status_change_updates_only_the_changed_cells(model: StoreTableModel) -> None:
    model.set_records([store("alpha", Phase.PROVISIONING, 1), store("bravo")])
    changes = Changes(model)
    model.set_records([store("alpha", Phase.READY, 2), store("bravo")])
    row = model.row_of("alpha")
    assert changes.cells == [(row, Column.STATUS, Column.PODS)]
    assert (changes.inserted, changes.removed, changes.resets) == ([], [], 0)


def test_the_same_snapshot_again_changes_nothing(model: StoreTableModel) -> None:
    model.set_records([store("alpha"), store("bravo")])
    changes = Changes(model)
    model.set_records([store("alpha"), store("bravo")])
    assert (changes.cells, changes.inserted, changes.removed) == ([], [], [])


def test_new_and_gone_stores_are_inserted_and_removed(model: StoreTableModel) -> None:
    model.set_records([store("alpha"), store("bravo")])
    changes = Changes(model)
    model.set_records([store("bravo"), store("charlie")])
    assert model.names() == ["bravo", "charlie"]
    assert changes.removed == [(0, 0)]
    assert changes.inserted == [(1, 1)]
    assert changes.resets == 0


def test_an_optimistic_row_stays_until_its_operation_ended_and_a_snapshot_decided(
    model: StoreTableModel,
) -> None:
    model.add_pending(store("new", Phase.PROVISIONING, 0))
    model.set_busy("new", "creating")
    model.set_records([store("alpha")])  # the cluster does not list it yet
    assert model.names() == ["new", "alpha"]
    assert model.index(model.row_of("new"), Column.NAME).data(BUSY_ROLE) == "creating"
    model.set_busy("new", None)
    model.settle("new", "the OS keyring is locked")
    assert model.record("new").status.phase == Phase.FAILED
    assert "keyring is locked" in model.record("new").status.detail
    model.set_records([store("alpha")])  # still not listed once its create ended: gone
    assert model.names() == ["alpha"]


def test_a_listed_store_replaces_its_optimistic_row(model: StoreTableModel) -> None:
    model.add_pending(store("new", Phase.PROVISIONING, 0))
    model.set_records([store("new", Phase.PROVISIONING, 1)])
    model.settle("new", None)
    model.set_records([store("new", Phase.READY, 2)])
    assert model.names() == ["new"]
    assert model.record("new").status.phase == Phase.READY


def test_ages_advance_with_the_clock(qapp) -> None:
    now = [NOW]
    model = StoreTableModel(clock=lambda: now[0])
    model.set_records(
        [store("alpha", age=timedelta(seconds=50)), store("bravo", age=timedelta(days=2))]
    )
    changes = Changes(model)
    now[0] = NOW + timedelta(seconds=30)
    model.tick()
    assert model.index(0, Column.AGE).data() == "1m"
    assert changes.cells == [(0, Column.AGE, Column.AGE)]  # bravo still reads 2d


def test_selection_and_sort_survive_updates(qtbot) -> None:
    model = StoreTableModel(clock=lambda: NOW)
    table = StoreTable(model)
    qtbot.addWidget(table)
    model.set_records([store(n) for n in ("delta", "alpha", "charlie")])
    table.select("charlie")
    selected = []
    table.selected_changed.connect(selected.append)
    model.set_records(
        [
            store("delta", Phase.FAILED, 0, "CrashLoopBackOff"),
            store("alpha"),
            store("charlie", Phase.PROVISIONING, 1),
            store("bravo"),
        ]
    )
    assert table.selected_name() == "charlie"
    assert selected == []  # the same store stays selected: no change reported
    names = [table.proxy.index(r, Column.NAME).data() for r in range(table.proxy.rowCount())]
    assert names == ["alpha", "bravo", "charlie", "delta"]


def test_the_filter_matches_any_column(qtbot) -> None:
    model = StoreTableModel(clock=lambda: NOW)
    table = StoreTable(model)
    qtbot.addWidget(table)
    model.set_records([store("alpha"), store("bravo", Phase.FAILED, 0, "ImagePullBackOff")])
    table.set_filter("imagepull")
    assert table.proxy.rowCount() == 1
    assert table.proxy.index(0, Column.NAME).data() == "bravo"
    table.set_filter("")
    assert table.proxy.rowCount() == 2


def test_the_model_is_flat(model: StoreTableModel) -> None:
    model.set_records([store("alpha")])
    parent = model.index(0, 0)
    assert model.rowCount(parent) == 0 and model.columnCount(parent) == 0
    assert model.rowCount(QModelIndex()) == 1


def test_busy_marker_changes_only_the_name_cell(model: StoreTableModel) -> None:
    model.set_records([store("alpha")])
    changes = Changes(model)
    model.set_busy("alpha", "deleting")
    assert changes.cells == [(0, Column.NAME, Column.NAME)]
    assert model.has_busy_rows()
    assert "deleting" in model.index(0, Column.NAME).data(Qt.ItemDataRole.ToolTipRole)


def test_a_status_tooltip_gives_reason_detail_and_fix(model: StoreTableModel) -> None:
    failed = replace(
        store("alpha"),
        status=StoreStatus(
            Phase.FAILED,
            "ImagePullBackOff",
            "pod alpha-wordpress cannot pull its image",
            "check the image name",
        ),
    )
    model.set_records([failed])
    tip = model.index(0, Column.STATUS).data(Qt.ItemDataRole.ToolTipRole)
    assert tip.splitlines() == [
        "Failed: ImagePullBackOff",
        "pod alpha-wordpress cannot pull its image",
        "Fix: check the image name",
    ]


def test_a_failed_store_being_retried_reads_as_the_retry(model: StoreTableModel) -> None:
    # Issue 15 #8: a retrying store read "Failed: ErrImagePull (creating…)".
    model.set_records([store("alpha", Phase.FAILED, 0, "ErrImagePull")])
    model.set_busy("alpha", "creating")
    cell = model.index(0, Column.STATUS)
    assert cell.data() == "Creating… (last try: ErrImagePull)"
    assert cell.data(Qt.ItemDataRole.DecorationRole).cacheKey() == (
        phase_icon(Phase.PROVISIONING).cacheKey()
    )
    model.set_busy("alpha", None)
    assert cell.data() == "Failed: ErrImagePull"


def test_a_store_with_an_older_chart_says_so_in_its_status(model: StoreTableModel) -> None:
    from storedesk.provisioning.upgrades import Upgrade

    model.set_records([store("alpha"), store("bravo")])
    changes = Changes(model)
    model.set_upgrades({"alpha": Upgrade("alpha", "woocommerce", "0.1.0", "0.2.0", 3)})
    assert changes.cells == [(0, Column.STATUS, Column.STATUS)]
    assert model.index(0, Column.STATUS).data() == "Ready · upgrade to 0.2.0"
    tip = model.index(0, Column.STATUS).data(Qt.ItemDataRole.ToolTipRole)
    assert "woocommerce-0.1.0" in tip and "woocommerce-0.2.0" in tip
    assert model.index(1, Column.STATUS).data() == "Ready"
    model.set_upgrades({})
    assert model.index(0, Column.STATUS).data() == "Ready"
