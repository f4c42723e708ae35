"""The Delete confirmation: says exactly what goes, and asks for the store's name."""

from __future__ import annotations

from html import escape

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from storedesk.domain.models import StoreRecord


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
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.delete_button = self.buttons.addButton(
            "Delete store", QDialogButtonBox.ButtonRole.DestructiveRole
        )
        self.delete_button.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_TrashIcon))
        self.delete_button.setEnabled(False)
        self.delete_button.clicked.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.confirm_edit.textChanged.connect(
            lambda text: self.delete_button.setEnabled(self._confirmed())
        )
        # Cancel is the default: Enter in the field must not delete by accident.
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setDefault(True)
        layout = QVBoxLayout(self)
        layout.addWidget(explanation)
        layout.addWidget(self.confirm_edit)
        layout.addWidget(self.buttons)

    def accept(self) -> None:
        """Close with Accepted, only when the typed name matches."""
        if self._confirmed():
            super().accept()

    def _confirmed(self) -> bool:
        return self.confirm_edit.text().strip() == self.record.name
