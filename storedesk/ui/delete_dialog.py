"""The Delete confirmation: says exactly what goes, and asks for the store's name.

Enter in the name field does what the typed name asks: it deletes once the name matches,
and otherwise says why it does not. No button is the default, so Enter never cancels
silently nor deletes by accident."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import QTimer
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from storedesk.domain.models import StoreRecord
from storedesk.ui.palette import status_color
from storedesk.ui.screen_fit import grow_to_fit


class DeleteDialog(QDialog):
    """Accepted only once the user has typed the store's name."""

    def __init__(self, record: StoreRecord, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.record = record
        name = escape(record.name)
        self.setWindowTitle(f"Delete store {record.name}")
        self.setMinimumWidth(460)
        explanation = QLabel(
            f"<p><b>Delete the store '{name}'?</b></p>"
            "<p>This removes, from the cluster:</p><ul>"
            f"<li>the helm release <b>{name}</b> and every pod, service and ingress of the "
            f"store ({escape(record.url or 'its storefront')});</li>"
            f"<li>the namespace <b>{escape(record.namespace)}</b> with everything in it, "
            "including the database and uploaded files: products, customers and orders;</li>"
            "</ul><p>and from this computer the store's admin and database passwords kept in "
            "the keyring.</p><p>This cannot be undone.</p>"
            f"<p>Type <b>{name}</b> to confirm:</p>",
            self,
        )
        explanation.setWordWrap(True)
        self.confirm_edit = QLineEdit(self)
        self.confirm_edit.setPlaceholderText(record.name)
        self.mismatch = QLabel(self)
        self.mismatch.setObjectName("deleteMismatch")
        self.mismatch.setWordWrap(True)
        self.mismatch.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.delete_button = self.buttons.addButton(
            "Delete store", QDialogButtonBox.ButtonRole.DestructiveRole
        )
        self.delete_button.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_TrashIcon))
        self.delete_button.setEnabled(False)
        self.delete_button.clicked.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.confirm_edit.textChanged.connect(self._typed)
        self.confirm_edit.returnPressed.connect(self._enter)
        # No default button: Enter goes to _enter, which says what it does.
        for button in self.buttons.buttons():
            if isinstance(button, QPushButton):
                button.setAutoDefault(False)
                button.setDefault(False)
        layout = QVBoxLayout(self)
        layout.addWidget(explanation)
        layout.addWidget(self.confirm_edit)
        layout.addWidget(self.mismatch)
        layout.addWidget(self.buttons)

    def accept(self) -> None:
        """Close with Accepted, only when the typed name matches."""
        if self._confirmed():
            super().accept()

    def _confirmed(self) -> bool:
        return self.confirm_edit.text().strip() == self.record.name

    def _typed(self) -> None:
        self.delete_button.setEnabled(self._confirmed())
        if self._confirmed():
            self.mismatch.hide()

    def _enter(self) -> None:
        if self._confirmed():
            self.accept()
            return
        typed = self.confirm_edit.text().strip()
        self.mismatch.setText(
            f"Nothing deleted: type <b>{escape(self.record.name)}</b> exactly to delete it"
            + (f" ('{escape(typed)}' does not match)" if typed else "")
            + ", or Cancel to keep it."
        )
        palette = self.mismatch.palette()
        palette.setColor(QPalette.ColorRole.WindowText, status_color("Failed"))
        self.mismatch.setPalette(palette)
        self.mismatch.show()
        QTimer.singleShot(0, self, lambda: grow_to_fit(self))
