"""The New store dialog: a name checked as you type, an engine, and advanced options.

Validation uses the engine's own rules and messages (storedesk.domain); the Create button
stays disabled while anything is wrong, so nothing invalid ever reaches the cluster.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from storedesk.domain import names
from storedesk.domain.engines import Engine
from storedesk.domain.models import store_namespace
from storedesk.provisioning.engines import engines
from storedesk.ui.palette import status_color


@dataclass(frozen=True)
class NewStore:
    """What the user asked for."""

    name: str
    engine: str
    options: dict[str, object]


class NewStoreDialog(QDialog):
    """Asks for a store's name, engine and options; accepted only when all are valid."""

    def __init__(self, existing: Collection[str] = (), parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New store")
        self.setMinimumWidth(460)
        self._existing = set(existing)

        self.name_edit = QLineEdit(self)
        self.name_edit.setPlaceholderText("e.g. summer-sale")
        self.name_edit.setMaxLength(names.MAX_LENGTH + 20)  # room to type; the check says why
        self.name_edit.setToolTip(names.RULES)
        self.name_problem = QLabel(self)
        self.name_problem.setWordWrap(True)
        self.name_problem.setObjectName("nameProblem")

        self.engines = engines()
        self.engine_combo = QComboBox(self)
        for engine in self.engines.all():
            self.engine_combo.addItem(engine.display_name, engine.name)
            self.engine_combo.setItemData(
                self.engine_combo.count() - 1, engine.description, Qt.ItemDataRole.ToolTipRole
            )
        self.engine_combo.setCurrentIndex(self.engine_combo.findData(self.engines.default.name))
        self.engine_combo.currentIndexChanged.connect(self._check)
        self.engine_cost = QLabel(self)
        self.engine_cost.setWordWrap(True)
        self.engine_cost.setForegroundRole(QPalette.ColorRole.PlaceholderText)

        form = QFormLayout()
        form.addRow("&Name", self.name_edit)
        form.addRow("", self.name_problem)
        form.addRow("&Engine", self.engine_combo)
        form.addRow("", self.engine_cost)

        self.advanced_toggle = QToolButton(self)
        self.advanced_toggle.setText("Advanced options")
        self.advanced_toggle.setCheckable(True)
        self.advanced_toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.advanced_toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.advanced_toggle.setAutoRaise(True)
        self.advanced = QGroupBox(self)
        self.advanced.setFlat(True)
        self.advanced.hide()
        self.advanced_toggle.toggled.connect(self._toggle_advanced)
        advanced_form = QFormLayout(self.advanced)
        self.option_widgets: dict[str, QLineEdit | QCheckBox | QComboBox] = {}
        self.option_problems: dict[str, QLabel] = {}
        # Every engine's options, once each; an engine without one hides its row.
        self.option_rows: dict[str, tuple[QWidget, ...]] = {}
        for option in {o.key: o for e in self.engines.all() for o in e.options}.values():
            widget: QLineEdit | QCheckBox | QComboBox
            if option.kind == "port":
                continue  # Storedesk picks a forward's port and remembers it
            if option.kind == "choice":
                widget = QComboBox(self.advanced)
                widget.addItem("Let Storedesk choose (from the cluster)", None)
                for choice in option.choices:
                    widget.addItem(choice, choice)
                widget.currentIndexChanged.connect(self._check)
            elif isinstance(option.default, bool):
                widget = QCheckBox(option.help, self.advanced)
                widget.setChecked(option.default)
                widget.toggled.connect(self._check)
            else:
                widget = QLineEdit(str(option.default), self.advanced)
                widget.setPlaceholderText("cluster default" if not option.default else "")
                widget.textChanged.connect(self._check)
                problem = QLabel(self.advanced)
                problem.setWordWrap(True)
                problem.hide()
                self._paint_problem(problem)
                self.option_problems[option.key] = problem
            widget.setToolTip(option.help)
            self.option_widgets[option.key] = widget
            advanced_form.addRow(option.label, widget)
            label = advanced_form.labelForField(widget)
            self.option_rows[option.key] = (widget, label) if label else (widget,)
            if option.key in self.option_problems:
                advanced_form.addRow("", self.option_problems[option.key])

        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.summary.setForegroundRole(QPalette.ColorRole.PlaceholderText)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.create_button = self.buttons.addButton(
            "Create", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.create_button.setDefault(True)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.advanced_toggle, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.advanced)
        layout.addWidget(self.summary)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        self._paint_problem(self.name_problem)
        self.name_edit.textChanged.connect(self._check)
        self._check()

    def request(self) -> NewStore:
        """The store to create (valid once the dialog was accepted)."""
        return NewStore(
            self.name_edit.text(),
            str(self.engine_combo.currentData()),
            self._options(),
        )

    def problems(self) -> list[str]:
        """Everything that keeps Create disabled, name first."""
        found = [self._name_problem()]
        engine = self._engine()
        found += [engine.option_problem(key, value) for key, value in self._options().items()]
        return [p for p in found if p]

    def accept(self) -> None:
        """Close with Accepted, only if everything is valid (Enter cannot bypass the check)."""
        if not self.problems():
            super().accept()

    def _engine(self) -> Engine:
        return self.engines.get(str(self.engine_combo.currentData()))

    def _options(self) -> dict[str, object]:
        """The chosen engine's options as set."""
        engine = self._engine()
        chosen: dict[str, object] = {}
        for key, widget in self.option_widgets.items():
            if engine.option(key) is None:
                continue
            if isinstance(widget, QCheckBox):
                chosen[key] = widget.isChecked()
            elif isinstance(widget, QComboBox):
                if widget.currentData() is not None:  # else Storedesk chooses
                    chosen[key] = widget.currentData()
            else:
                chosen[key] = widget.text()
        return chosen

    def _name_problem(self) -> str | None:
        typed = self.name_edit.text()
        if not typed.strip():
            return "a store name is required"
        problem = names.name_problem(typed)
        if problem is None and typed in self._existing:
            problem = f"a store named '{typed}' already exists on this cluster"
        return problem

    def _check(self) -> None:
        typed = self.name_edit.text()
        problem = self._name_problem()
        # An empty field is not an error yet: show the rules instead of a complaint.
        self.name_problem.setText(problem if typed.strip() and problem else "")
        self.name_problem.setVisible(bool(typed.strip() and problem))
        engine = self._engine()
        options = self._options()
        self.engine_cost.setText(f"First install: {engine.first_install}.")
        for key, row in self.option_rows.items():
            for widget in row:
                widget.setVisible(engine.option(key) is not None)
        for key, label in self.option_problems.items():
            option_problem = engine.option_problem(key, options[key]) if key in options else None
            label.setText(option_problem or "")
            label.setVisible(option_problem is not None)
        self.create_button.setEnabled(not self.problems())
        self.summary.setText(self._summary(problem))

    def _summary(self, name_problem: str | None) -> str:
        if name_problem:
            return names.RULES[0].upper() + names.RULES[1:] + "."
        name = self.name_edit.text()
        engine = self._engine()
        where = engine.store_url(name, self._options()) if not self.problems() else ""
        return (
            f"Creates namespace {store_namespace(name)} and installs {engine.display_name}"
            + (f"; the store will answer at {where}" if where else "")
            + "."
        )

    def _toggle_advanced(self, shown: bool) -> None:
        self.advanced.setVisible(shown)
        self.advanced_toggle.setArrowType(
            Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow
        )

    @staticmethod
    def _paint_problem(label: QLabel) -> None:
        palette = label.palette()
        palette.setColor(QPalette.ColorRole.WindowText, status_color("Failed"))
        label.setPalette(palette)
