"""The details pane's credentials: read from the keyring only when asked, hidden until then."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QFormLayout, QGroupBox, QHBoxLayout, QLabel, QPushButton, QWidget

from storedesk.domain.credentials import Credentials
from storedesk.ui.clipboard import CLEAR_AFTER_MS

HIDDEN = "••••••••••••"


class CredentialsBox(QGroupBox):
    """Admin user, email and password with Show/Hide and Copy; emits requests, never reads the
    keyring itself."""

    reveal_requested = Signal()
    copy_password_requested = Signal()
    copy_user_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Admin login", parent)
        self.user = QLabel("admin", self)
        self.email = QLabel("", self)
        self.password = QLabel(HIDDEN, self)
        self.password.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        for label in (self.user, self.email, self.password):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.reveal_button = QPushButton("Show", self)
        self.reveal_button.setToolTip("Read the password from the keyring and show it")
        self.reveal_button.clicked.connect(self._toggle)
        self.copy_button = QPushButton("Copy", self)
        self.copy_button.setToolTip(
            f"Copy the admin password; the clipboard is cleared after {CLEAR_AFTER_MS // 1000} s"
        )
        self.copy_button.clicked.connect(self.copy_password_requested)
        self.copy_user_button = QPushButton("Copy", self)
        self.copy_user_button.clicked.connect(
            lambda: self.copy_user_requested.emit(self.user.text())
        )
        user_row = QHBoxLayout()
        user_row.addWidget(self.user, 1)
        user_row.addWidget(self.copy_user_button)
        password_row = QHBoxLayout()
        password_row.addWidget(self.password, 1)
        password_row.addWidget(self.reveal_button)
        password_row.addWidget(self.copy_button)
        form = QFormLayout(self)
        form.addRow("User", user_row)
        form.addRow("Email", self.email)
        form.addRow("Password", password_row)
        self._revealed = False

    def reset(self) -> None:
        """Forget what was shown (another store was selected)."""
        self.user.setText("admin")
        self.email.setText("shown with the password")
        self.hide_password()

    def show_credentials(self, credentials: Credentials) -> None:
        """Show the login, password included (the user asked for it)."""
        self.user.setText(credentials.admin_user)
        self.email.setText(credentials.admin_email)
        self.password.setText(credentials.admin_password)
        self.reveal_button.setText("Hide")
        self._revealed = True

    def hide_password(self) -> None:
        """Back to dots."""
        self.password.setText(HIDDEN)
        self.reveal_button.setText("Show")
        self._revealed = False

    def _toggle(self) -> None:
        if self._revealed:
            self.hide_password()
        else:
            self.reveal_requested.emit()
