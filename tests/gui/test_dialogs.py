"""The New store and Delete dialogs, on their own (no cluster)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QLabel

from storedesk.domain import names
from storedesk.domain.models import Phase, StoreRecord, StoreStatus
from storedesk.provisioning.engines import engines
from storedesk.ui.delete_dialog import DeleteDialog
from storedesk.ui.new_store_dialog import NewStore, NewStoreDialog

pytestmark = pytest.mark.gui
ENGINES = Path(__file__).resolve().parents[1] / "engines"


@pytest.fixture
def dialog(qtbot) -> NewStoreDialog:
    opened = NewStoreDialog(existing=["taken"])
    qtbot.addWidget(opened)
    opened.show()
    return opened


@pytest.mark.parametrize(
    "typed", ["Shop_1", "1shop", "shop-", "a--b", "admin", "x" * (names.MAX_LENGTH + 1)]
)
def test_an_invalid_name_is_explained_with_the_engines_message(
    qtbot, dialog: NewStoreDialog, typed: str
) -> None:
    qtbot.keyClicks(dialog.name_edit, typed)
    assert dialog.name_problem.isVisible()
    assert dialog.name_problem.text() == names.name_problem(typed)
    assert not dialog.create_button.isEnabled()
    qtbot.keyClick(dialog.name_edit, Qt.Key.Key_Return)
    assert dialog.isVisible() and dialog.result() != QDialog.DialogCode.Accepted


def test_a_valid_name_enables_create_and_says_what_happens(qtbot, dialog: NewStoreDialog) -> None:
    assert not dialog.create_button.isEnabled()  # empty: nothing to create yet
    assert not dialog.name_problem.isVisible()  # ... but no complaint before typing
    qtbot.keyClicks(dialog.name_edit, "summer-sale")
    assert dialog.create_button.isEnabled()
    assert not dialog.name_problem.isVisible()
    assert "store-summer-sale" in dialog.summary.text()
    assert "http://summer-sale.localhost/" in dialog.summary.text()
    with qtbot.waitSignal(dialog.accepted):
        qtbot.keyClick(dialog.name_edit, Qt.Key.Key_Return)
    assert dialog.request() == NewStore(
        "summer-sale", "woocommerce", {"domain": "localhost", "ingress_class": "", "tls": False}
    )


def test_an_existing_store_name_is_refused(qtbot, dialog: NewStoreDialog) -> None:
    qtbot.keyClicks(dialog.name_edit, "taken")
    assert "already exists" in dialog.name_problem.text()
    assert not dialog.create_button.isEnabled()


def test_every_engine_is_offered_with_what_its_first_install_costs(qtbot, monkeypatch) -> None:
    # A test-only engine, known from its folder alone, with fewer options than WooCommerce.
    monkeypatch.setenv("STOREDESK_ENGINES", str(ENGINES))
    dialog = NewStoreDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    combo = dialog.engine_combo
    offered = [combo.itemText(i) for i in range(combo.count())]
    assert offered[0] == "WooCommerce" and "Tiny Shop" in offered
    assert combo.currentData() == "woocommerce"
    assert dialog.engine_cost.text().startswith("First install: about 2 minutes")
    qtbot.mouseClick(dialog.advanced_toggle, Qt.MouseButton.LeftButton)
    assert dialog.option_widgets["tls"].isVisible()
    combo.setCurrentIndex(combo.findData("tinyshop"))
    assert dialog.engine_cost.text() == "First install: a few seconds."
    assert not dialog.option_widgets["tls"].isVisible()  # Tiny Shop has no such option
    qtbot.keyClicks(dialog.name_edit, "tiny")
    assert dialog.request() == NewStore("tiny", "tinyshop", {"domain": "localhost"})


def test_advanced_options_are_checked_live(qtbot, dialog: NewStoreDialog) -> None:
    qtbot.keyClicks(dialog.name_edit, "shop")
    qtbot.mouseClick(dialog.advanced_toggle, Qt.MouseButton.LeftButton)
    domain = dialog.option_widgets["domain"]
    assert domain.isVisible()
    domain.setText("bad domain!")
    assert dialog.option_problems["domain"].text() == engines().default.option_problem(
        "domain", "bad domain!"
    )
    assert not dialog.create_button.isEnabled()
    domain.setText("shops.example.com")
    dialog.option_widgets["tls"].setChecked(True)
    assert dialog.create_button.isEnabled()
    assert "https://shop.shops.example.com/" in dialog.summary.text()


def test_delete_needs_the_store_name_typed(qtbot) -> None:
    record = StoreRecord(
        "shop", "woocommerce", "store-shop", StoreStatus(Phase.READY), url="http://shop.localhost/"
    )
    dialog = DeleteDialog(record)
    qtbot.addWidget(dialog)
    dialog.show()
    said = " ".join(label.text() for label in dialog.findChildren(QLabel))
    for removed in (
        "helm release <b>shop</b>",
        "namespace <b>store-shop</b>",
        "keyring",
        "cannot be undone",
    ):
        assert removed in said
    assert not dialog.delete_button.isEnabled()
    qtbot.keyClicks(dialog.confirm_edit, "sho")
    assert not dialog.delete_button.isEnabled()
    qtbot.keyClick(dialog.confirm_edit, Qt.Key.Key_Return)
    assert dialog.result() != QDialog.DialogCode.Accepted
    qtbot.keyClicks(dialog.confirm_edit, "p")
    assert dialog.delete_button.isEnabled()
    with qtbot.waitSignal(dialog.accepted):
        qtbot.mouseClick(dialog.delete_button, Qt.MouseButton.LeftButton)


def test_a_taken_name_says_so_not_the_naming_rules(qtbot, dialog: NewStoreDialog) -> None:
    # Issue 15 #17: a duplicate name showed the general naming rules.
    qtbot.keyClicks(dialog.name_edit, "taken")
    assert "already exists" in dialog.name_problem.text()
    assert names.RULES not in dialog.summary.text()
    assert names.RULES[1:] not in dialog.summary.text()
    assert "Choose another name" in dialog.summary.text()


def test_enter_in_the_delete_dialog_deletes_once_the_name_matches(qtbot) -> None:
    # Issue 15 #12: Enter after typing the right name cancelled silently.
    record = StoreRecord("shop", "woocommerce", "store-shop", StoreStatus(Phase.READY))
    dialog = DeleteDialog(record)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.confirm_edit, "shop")
    with qtbot.waitSignal(dialog.accepted):
        qtbot.keyClick(dialog.confirm_edit, Qt.Key.Key_Return)


def test_enter_in_the_delete_dialog_says_why_it_did_not_delete(qtbot) -> None:
    record = StoreRecord("shop", "woocommerce", "store-shop", StoreStatus(Phase.READY))
    dialog = DeleteDialog(record)
    qtbot.addWidget(dialog)
    dialog.show()
    rejected: list[bool] = []
    dialog.rejected.connect(lambda: rejected.append(True))
    qtbot.keyClicks(dialog.confirm_edit, "shp")
    qtbot.keyClick(dialog.confirm_edit, Qt.Key.Key_Return)
    assert dialog.isVisible() and not rejected  # neither deleted nor silently cancelled
    assert dialog.mismatch.isVisible()
    assert "Nothing deleted" in dialog.mismatch.text() and "<b>shop</b>" in dialog.mismatch.text()
    qtbot.keyClick(dialog.confirm_edit, Qt.Key.Key_Backspace)
    qtbot.keyClick(dialog.confirm_edit, Qt.Key.Key_Backspace)
    qtbot.keyClicks(dialog.confirm_edit, "hop")
    assert not dialog.mismatch.isVisible()
