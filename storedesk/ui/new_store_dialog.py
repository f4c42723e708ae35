"""The New store dialog: a name checked as you type, an engine, and advanced options.

Validation uses the engine's own rules and messages (storedesk.domain); the Create button
stays disabled while anything is wrong, so nothing invalid ever reaches the cluster. The
dialog grows to show whatever it says (a problem, a summary, the advanced options): no
message is ever cut and no field squashed.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QMouseEvent, QPalette
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
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
from storedesk.ui.screen_fit import grow_to_fit


class HelpLabel(QLabel):
    """An option's help, wrapped; a click on it toggles the checkbox it explains."""

    clicked = Signal()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        """A click toggles (like a checkbox's own text)."""
        super().mousePressEvent(event)
        self.clicked.emit()


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
                # The help is a wrapped label beside the box: a checkbox's own text never
                # wraps and would be cut at the dialog's edge.
                widget = QCheckBox(self.advanced)
                widget.setChecked(option.default)
                widget.setAccessibleName(option.label)
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
            row: tuple[QWidget, ...] = (widget,)
            if isinstance(widget, QCheckBox):
                help_label = self._help(option.help)
                help_label.clicked.connect(widget.toggle)
                line = QHBoxLayout()
                line.addWidget(widget, 0, Qt.AlignmentFlag.AlignTop)
                line.addWidget(help_label, 1)
                advanced_form.addRow(option.label, line)
                row += (help_label,)
            else:
                advanced_form.addRow(option.label, widget)
                if isinstance(widget, QComboBox):
                    help_label = self._help(option.help)
                    advanced_form.addRow("", help_label)
                    row += (help_label,)
            label = advanced_form.labelForField(widget) or advanced_form.labelForField(row[-1])
            self.option_rows[option.key] = (*row, label) if label else row
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
        self._layout = layout
        layout.addLayout(form)
        layout.addWidget(self.advanced_toggle, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.advanced)
        layout.addWidget(self.summary)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        self._paint_problem(self.name_problem)
        self.name_edit.textChanged.connect(self._check)
        self._check()
        grow_to_fit(self)

    def set_existing(self, names: Collection[str]) -> None:
        """The stores there are now (a store created meanwhile is refused too)."""
        self._existing = set(names)
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
        # After this event: the labels' new texts are laid out by then.
        QTimer.singleShot(0, self, lambda: grow_to_fit(self))

    def _summary(self, name_problem: str | None) -> str:
        typed = self.name_edit.text()
        if name_problem and typed in self._existing:
            return (
                f"Choose another name: '{typed}' is a store on this cluster already "
                "(select it in the table to see it)."
            )
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
        QTimer.singleShot(0, self, lambda: grow_to_fit(self))

    def _help(self, text: str) -> HelpLabel:
        label = HelpLabel(text, self.advanced)
        label.setWordWrap(True)
        label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        return label

    @staticmethod
    def _paint_problem(label: QLabel) -> None:
        palette = label.palette()
        palette.setColor(QPalette.ColorRole.WindowText, status_color("Failed"))
        label.setPalette(palette)
